using CicdOps.Engine.Git;

namespace CicdOps.Engine.Deploy;

/// <summary>
/// The project's scripts as the commit itself records them (git ls-tree, run as the project's account),
/// never as files root opens in the working tree: .cicd must be a real directory and each script a regular
/// file (mode 100644 or 100755). A symbolic link (to /dev/zero, a FIFO, another project's file), a
/// submodule or a directory in their place fails the deployment with the reason. The install hash is
/// git's own object id of install.sh at that commit.
/// </summary>
internal sealed record ScriptTree(string? InstallObject, bool HasRun, bool HasHealth)
{
    private const string Directory = ".cicd";
    private static readonly string[] RegularModes = { "100644", "100755" };

    public static async Task<ScriptTree> ReadAsync(GitCli git, string workingTree, string sha, CancellationToken ct) =>
        Parse(await ListAsync(git, workingTree, sha, ct), sha);

    /// <summary>
    /// Lists the scripts at <paramref name="revision"/>: a SHA, or the fetched branch's ref while its SHA is being
    /// resolved beside it (see <see cref="Parse"/>). A revision is never an option: a hex SHA or refs/….
    /// </summary>
    public static Task<GitResult> ListAsync(GitCli git, string workingTree, string revision, CancellationToken ct) =>
        git.RunAsync(workingTree, new[]
        {
            "ls-tree", "-z", "--full-tree", revision, "--", Directory, ScriptNames.Install, ScriptNames.Run, ScriptNames.Health,
        }, ct);

    /// <summary>What a listing says about the scripts of commit <paramref name="sha"/> (the commit the listed revision names).</summary>
    public static ScriptTree Parse(GitResult r, string sha)
    {
        if (!r.Ok) throw new CicdException(CicdError.CheckoutFailed, $"Listing {Directory} at commit {Short(sha)} failed: {r.Error}", sha);
        // Each entry: "<mode> <type> <object>\t<path>", NUL-terminated (-z: paths are not quoted).
        var entries = new Dictionary<string, (string Mode, string Object)>(StringComparer.Ordinal);
        foreach (var entry in r.StdOut.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            var tab = entry.IndexOf('\t');
            var meta = tab < 0 ? Array.Empty<string>() : entry[..tab].Split(' ');
            if (meta.Length == 3) entries[entry[(tab + 1)..]] = (meta[0], meta[2]);
        }
        if (entries.TryGetValue(Directory, out var dir) && dir.Mode != "040000")
            throw new CicdException(CicdError.CheckoutFailed,
                $"'{Directory}' is {Describe(dir.Mode)} at commit {Short(sha)}; it must be a real directory holding the scripts.", sha);
        string? Regular(string script)
        {
            if (!entries.TryGetValue(script, out var e)) return null;
            if (!RegularModes.Contains(e.Mode))
                throw new CicdException(CicdError.CheckoutFailed,
                    $"'{script}' is {Describe(e.Mode)} at commit {Short(sha)}; scripts must be regular files in the repository.", sha);
            return e.Object;
        }
        return new ScriptTree(Regular(ScriptNames.Install), Regular(ScriptNames.Run) is not null, Regular(ScriptNames.Health) is not null);
    }

    private static string Describe(string mode) => mode switch
    {
        "120000" => "a symbolic link",
        "160000" => "a submodule",
        "040000" => "a directory",
        _ => $"not a regular file (mode {mode})",
    };

    private static string Short(string sha) => sha.Length > 12 ? sha[..12] : sha;
}
