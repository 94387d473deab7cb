using CicdOps.Engine.Sandbox;

namespace CicdOps.Engine.Deploy;

/// <summary>
/// Switching `current` and removing pruned releases in this process with the account's file-system rights
/// (<see cref="AccountFileSystem"/>): what <see cref="ReleaseScripts.Switch"/> and <see cref="ReleaseScripts.Remove"/>
/// do, without starting a process. Used where <see cref="AccountFileSystem"/> works (root on Linux x64/arm64, or an
/// unsandboxed engine that is the account itself); the scripts remain for other hosts.
/// </summary>
internal static class ReleaseFiles
{
    public static bool InProcess => !UnixIds.IsRoot || AccountFileSystem.Available;

    /// <summary>`current` links to releases/<paramref name="name"/> (a new link renamed over the old one), then <paramref name="remove"/> go.
    /// Returns false when some of them could not be removed (the switch itself throws on failure).</summary>
    public static bool Switch(ServiceAccount account, ReleaseLayout layout, string name, IReadOnlyList<string> remove) =>
        AccountFileSystem.Run(account, () =>
        {
            AccountFileSystem.ReplaceLink("releases/" + name, Path.Combine(layout.Root, ".current.new"), layout.Current);
            return RemoveReleases(layout, remove);
        });

    /// <summary>Removes the releases and git's records of worktrees whose directory is gone; false when something stayed.</summary>
    public static bool Remove(ServiceAccount account, ReleaseLayout layout, IReadOnlyList<string> names) =>
        AccountFileSystem.Run(account, () => RemoveReleases(layout, names));

    /// <summary>
    /// As the account: releases/<paramref name="name"/> becomes a linked worktree of repo/ whose HEAD is
    /// <paramref name="sha"/>, with no files checked out yet (a `git reset --hard` in it does that). This is what `git
    /// worktree add --detach` writes (gitrepository-layout: the worktree's .git file, and worktrees/ID with gitdir,
    /// commondir and HEAD), without the two git processes it starts for HEAD and the checkout.
    /// </summary>
    public static void MakeWorktree(ServiceAccount account, ReleaseLayout layout, string name, string sha) =>
        AccountFileSystem.Run(account, () =>
        {
            var tree = layout.Release(name);
            var record = Path.Combine(layout.Repository, "worktrees", name);
            Directory.CreateDirectory(layout.Releases);
            Directory.CreateDirectory(Path.Combine(layout.Repository, "worktrees"));
            CreateNew(tree, record);
            Write(Path.Combine(record, "gitdir"), Path.Combine(tree, ".git") + "\n");
            Write(Path.Combine(record, "commondir"), "../..\n");
            Write(Path.Combine(record, "HEAD"), sha + "\n");
            Write(Path.Combine(tree, ".git"), "gitdir: " + record + "\n");
            return true;
        });

    /// <summary>mkdir(2) of each, failing when one exists already (a name is never reused).</summary>
    private static void CreateNew(params string[] directories)
    {
        foreach (var d in directories)
        {
            if (Directory.Exists(d) || File.Exists(d) || new FileInfo(d).LinkTarget is not null) throw new IOException($"{d} exists already");
            Directory.CreateDirectory(d);
        }
    }

    /// <summary>A new file (O_EXCL: never through a link or over something there).</summary>
    private static void Write(string path, string text)
    {
        using var f = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        f.Write(bytes);
    }

    private static bool RemoveReleases(ReleaseLayout layout, IReadOnlyList<string> names)
    {
        if (names.Count == 0) return true;
        var ok = true;
        foreach (var n in names) ok &= AccountFileSystem.RemoveTree(layout.Release(n));
        // What `git worktree prune` removes: repo/worktrees/ID whose gitdir file names a path that is gone.
        var records = Path.Combine(layout.Repository, "worktrees");
        if (!Directory.Exists(records)) return ok;
        foreach (var w in Directory.EnumerateDirectories(records))
        {
            var gitdir = new FileInfo(Path.Combine(w, "gitdir"));
            if (!gitdir.Exists || gitdir.LinkTarget is not null) continue;
            string named;
            try { named = File.ReadLines(gitdir.FullName).FirstOrDefault() ?? ""; }
            catch (IOException) { continue; }
            if (named.Length == 0) continue;
            if (!named.StartsWith('/')) named = Path.Combine(w, named); // worktree.useRelativePaths
            if (!File.Exists(named) && !Directory.Exists(named) && new FileInfo(named).LinkTarget is null)
                ok &= AccountFileSystem.RemoveTree(w);
        }
        return ok;
    }
}
