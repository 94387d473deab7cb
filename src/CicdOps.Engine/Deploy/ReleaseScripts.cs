namespace CicdOps.Engine.Deploy;

/// <summary>
/// The file operations on a project's release layout, as constant scripts run as the project's account
/// (data only as arguments, never in the script text): everything they make is the account's, and root never
/// creates, moves or deletes anything inside a tree the account controls.
/// </summary>
internal static class ReleaseScripts
{
    /// <summary>
    /// $1 root, $2 first release name, $3 project. A plain checkout at the root becomes releases/$2 (moved
    /// through a temporary name, so tracked files called releases, repo or current cannot collide) and current;
    /// then repo/ is made when missing, a bare repository named for the project (the path checks read it).
    /// </summary>
    public const string Layout = """
        set -e
        cd -- "$1"
        if [ -d .git ]; then
          tmp=".cicdops-migrating-$2"
          mkdir -- "$tmp"
          for f in * .[!.]* ..?*; do
            if [ -e "$f" ] || [ -L "$f" ]; then [ "$f" = "$tmp" ] || mv -- "$f" "$tmp/"; fi
          done
          mkdir -p releases
          mv -T -- "$tmp" "releases/$2"
          ln -s -- "releases/$2" .current.new
          mv -T -- .current.new current
        fi
        if [ ! -d repo ]; then
          git init --quiet --bare repo
          git --git-dir=repo config cicdops.project "$3"
        fi
        mkdir -p releases shared
        """;

    /// <summary>
    /// $1 root, $2 release name, then the shared paths. A shared path missing from shared/ is seeded from the
    /// serving release (an untracked .env of a migrated checkout), else from the new release, else made empty (a
    /// trailing / makes a directory); then the release's own copy is replaced by a link into shared/.
    /// </summary>
    public const string LinkShared = """
        set -e
        root="$1"; rel="releases/$2"; shift 2
        cd -- "$root"
        for s in "$@"; do
          p="${s%/}"
          mkdir -p -- "shared/$(dirname -- "$p")" "$rel/$(dirname -- "$p")"
          if [ ! -e "shared/$p" ] && [ ! -L "shared/$p" ]; then
            if [ -e "current/$p" ] && [ ! -L "current/$p" ]; then cp -a -- "current/$p" "shared/$p"
            elif [ -e "$rel/$p" ] && [ ! -L "$rel/$p" ]; then mv -- "$rel/$p" "shared/$p"
            elif [ "$p" != "$s" ]; then mkdir -p -- "shared/$p"
            else : > "shared/$p"
            fi
          fi
          rm -rf -- "$rel/$p"
          ln -s -- "$root/shared/$p" "$rel/$p"
        done
        """;

    /// <summary>
    /// $1 root, $2 release name, then releases to remove once it serves: `current` becomes a link to it by rename(2)
    /// over the old link (atomic), then the others go as in <see cref="Remove"/> (exit 3: switched, but not all went).
    /// One script, so a deploy that prunes starts one process for both.
    /// </summary>
    public const string Switch = """
        set -e
        root="$1"; name="$2"; shift 2
        cd -- "$root"
        if [ -e .current.new ] || [ -L .current.new ]; then rm -f -- .current.new; fi
        ln -s -- "releases/$name" .current.new
        mv -T -- .current.new current
        set +e
        [ $# -gt 0 ] || exit 0

        """ + RemoveReleases;

    /// <summary>$1 root, then release names: as <see cref="RemoveReleases"/> (exit 3 when not all went).</summary>
    public const string Remove = "root=\"$1\"; shift\n" + RemoveReleases;

    /// <summary>
    /// With $root and the release names as "$@": each directory goes, then what git keeps about worktrees whose
    /// directory is gone (repo/worktrees/ID, whose gitdir file names the worktree's .git), as `git worktree prune`
    /// would remove it, without starting git: shell builtins and rm only. Exit 3 when something could not go.
    /// </summary>
    private const string RemoveReleases = """
        cd -- "$root/releases" || exit 3
        rm -rf -- "$@" || exit 3
        cd -- "$root/repo" || exit 3
        set --
        for w in worktrees/*; do
          [ -f "$w/gitdir" ] && [ ! -L "$w/gitdir" ] && read -r g < "$w/gitdir" && [ -n "$g" ] || continue
          case $g in /*) ;; *) g="$w/$g" ;; esac # worktree.useRelativePaths: relative to the record
          if [ ! -e "$g" ]; then set -- "$@" "$w"; fi
        done
        if [ $# -gt 0 ]; then rm -rf -- "$@" || exit 3; fi
        exit 0
        """;
}
