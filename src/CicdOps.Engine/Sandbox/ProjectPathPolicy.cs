using System.Runtime.Versioning;
using CicdOps.Engine.Git;

namespace CicdOps.Engine.Sandbox;

/// <summary>
/// Everything a project path must satisfy before root hands it to the project's account, checked at
/// registration, at every change of path, repository or user, and again before each deploy touches the
/// tree: not a system location (by prefix, links resolved), not overlapping CicdOps' own directories,
/// reachable by the account, and either empty or a checkout of this very project.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class ProjectPathPolicy
{
    /// <summary>Absolute, links resolved, not a system location, not overlapping <paramref name="protectedPaths"/>. Returns the resolved path.</summary>
    public static string Place(string path, IEnumerable<string> protectedPaths)
    {
        if (string.IsNullOrWhiteSpace(path) || path.Any(char.IsControl) || !Path.IsPathFullyQualified(path))
            throw Invalid($"The project path '{Secrets.SafeText.Printable(path)}' must be an absolute directory path.", path);
        var given = SystemPaths.Normalize(path);
        var full = SystemPaths.Resolve(given);
        // The real location decides; the name given is refused too when it alone is a system location.
        if (SystemPaths.RefusalOf(full) is { } why)
            throw Invalid(given == full ? why : $"'{given}' resolves to '{full}' through a symbolic link: {why}", path);
        if (given != full && SystemPaths.RefusalOf(given) is { } whyGiven) throw Invalid(whyGiven, path);
        if (SystemPaths.HomeRefusalOf(full) is { } whyHome) throw Invalid(whyHome, path);
        foreach (var p in protectedPaths)
        {
            var prot = SystemPaths.Resolve(p);
            if (SystemPaths.Overlap(full, prot))
                throw Invalid($"The project path '{full}' overlaps '{prot}', which belongs to CicdOps and must stay root-only.", path);
        }
        return full;
    }

    /// <summary>
    /// The account (or, before it exists, any account: <paramref name="account"/> null) can walk down to the
    /// path. Directories the engine will create itself are 0755, and the path itself is handed over, so
    /// what counts is every existing directory above it.
    /// </summary>
    public static void RequireReachable(string full, ServiceAccount? account, UnixAccounts accounts)
    {
        var parent = Path.GetDirectoryName(full);
        if (parent is null) return;
        var chain = new List<string>();
        for (var d = parent; d is not null; d = Path.GetDirectoryName(d))
            if (Directory.Exists(d)) chain.Add(d);
        chain.Reverse();
        var groups = account is null ? Array.Empty<uint>() : accounts.GroupsOf(account);
        foreach (var (dir, owner) in chain.Zip(FileOwners.Of(chain)))
        {
            if (Searchable(owner, account, groups)) continue;
            var who = account is null ? "the project's user" : $"'{account.Name}'";
            throw Invalid($"{who} cannot reach '{full}': '{dir}' is mode {Convert.ToString(owner.Mode, 8)} owned by uid {owner.Uid}, closed to other users.",
                full, $"Let accounts pass through it (chmod o+x {dir}), or choose a path under /srv or /opt.");
        }
    }

    private static bool Searchable(FileOwner o, ServiceAccount? account, uint[] groups)
    {
        if (account is not null && o.Uid == account.Uid) return (o.Mode & 0b001_000_000) != 0;
        if (account is not null && (o.Gid == account.Gid || groups.Contains(o.Gid))) return (o.Mode & 0b000_001_000) != 0;
        return (o.Mode & 0b000_000_001) != 0;
    }

    /// <summary>
    /// Refuses a non-empty path that is not a checkout of this project, before anything in it changes: a
    /// checkout is a real <c>.git</c> directory that either belongs to the project's account already
    /// (<paramref name="acceptOwnedByAccount"/>: at deploy, the tree CicdOps handed over), or that names
    /// this project (the marker CicdOps writes) or its repository (remote.origin.url of a clone made by root).
    /// </summary>
    public static void RequireEmptyOrOwnCheckout(string full, string project, string repository, ServiceAccount? account,
        LaunchPlan? asAccount, bool acceptOwnedByAccount)
    {
        if (File.Exists(full)) throw Invalid($"The project path '{full}' is a file, not a directory.", full);
        if (!Directory.Exists(full) || !Directory.EnumerateFileSystemEntries(full).Any()) return;
        var refusal = $"'{full}' is not empty and is not a checkout of project '{project}': CicdOps would hand everything in it to the project's user.";
        const string fix = "Empty it or choose another path (a directory of its own under /srv or /opt).";
        var git = Path.Combine(full, ".git");
        // With releases the path holds no working tree: repo/, the bare repository CicdOps made, stands for .git.
        if (!Directory.Exists(git) && !File.Exists(git) && Directory.Exists(Path.Combine(full, "repo"))) git = Path.Combine(full, "repo");
        var info = new DirectoryInfo(git);
        if (!info.Exists || info.LinkTarget is not null) throw Invalid(refusal, full, fix);
        var owner = FileOwners.Of(new[] { git })[0];
        GitCli reader;
        if (account is not null && owner.Uid == account.Uid)
        {
            if (acceptOwnedByAccount) return;
            reader = new GitCli(asAccount); // the account's own files are read as the account
        }
        else if (owner.Uid == 0)
        {
            var config = new FileInfo(Path.Combine(git, "config"));
            if (!config.Exists || config.LinkTarget is not null || FileOwners.Of(new[] { config.FullName })[0].Uid != 0)
                throw Invalid(refusal, full, fix);
            reader = new GitCli();
        }
        else throw Invalid($"{refusal} Its .git belongs to uid {owner.Uid}.", full, fix);
        if (ConfigValue(reader, git, Checkout.ProjectMarker) == project || ConfigValue(reader, git, "remote.origin.url") == repository) return;
        throw Invalid(refusal, full, fix);
    }

    private static string? ConfigValue(GitCli git, string gitDir, string key)
    {
        // --file reads exactly that file (no includes, no hooks); "/" as working directory, so nothing of the tree is trusted.
        var r = git.RunAsync("/", new[] { "config", "--file", Path.Combine(gitDir, "config"), "--get", key }, CancellationToken.None,
            TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
        return r.Ok ? r.StdOut.Trim() : null;
    }

    private static CicdException Invalid(string message, string? target, string? fix = null) =>
        new(CicdError.InvalidPath, message, target, fix);
}
