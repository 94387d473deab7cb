using System.Runtime.Versioning;

namespace CicdOps.Engine.Sandbox;

/// <summary>
/// Gives a project's directory (working tree, .git, lock/PID files, logs: everything under it) to its
/// service account, and closes it to everyone else (0750 on the root). Realigned before each deploy,
/// because git and the engine write there as root.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class ProjectPathPermissions
{
    public const UnixFileMode RootMode = (UnixFileMode)0b111_101_000; // 0750

    // chown -R of one of these would hand the system to a project.
    private static readonly string[] Forbidden =
    {
        "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32", "/media", "/mnt", "/opt",
        "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/var", "/var/lib", "/var/tmp", "/usr/local",
    };

    /// <summary>
    /// Recursively chowns <paramref name="path"/> to the account without following symlinks, then sets its
    /// root to 0750. <paramref name="protectedPaths"/> (the data directory, say) and their ancestors are refused.
    /// </summary>
    public static void Realign(string path, ServiceAccount account, params string[] protectedPaths)
    {
        var full = Validate(path, protectedPaths);
        RequireProtectedHardlinks();
        ToolRunner.RunOrThrow("chown",
            new[] { "--recursive", "--no-dereference", "-P", "--", $"{account.Uid}:{account.Gid}", full },
            $"Giving '{full}' to '{account.Name}'");
        File.SetUnixFileMode(full, RootMode);
    }

    internal static string Validate(string path, IEnumerable<string> protectedPaths)
    {
        if (string.IsNullOrWhiteSpace(path) || !Path.IsPathFullyQualified(path))
            throw new CicdException(CicdError.InvalidPath, $"The project path '{Secrets.SafeText.Printable(path)}' must be absolute.", path);
        var full = CheckPlacement(path, protectedPaths);
        var info = new DirectoryInfo(full);
        if (!info.Exists)
            throw new CicdException(CicdError.InvalidPath, $"The project path '{full}' does not exist.", path);
        if (info.LinkTarget is not null)
            throw new CicdException(CicdError.InvalidPath, $"The project path '{full}' is a symbolic link; use the real directory.", path);
        return full;
    }

    /// <summary>
    /// The checks that need no directory yet (registration runs them before an account is made): not a
    /// system directory, not overlapping <paramref name="protectedPaths"/>. Returns the normalized path.
    /// </summary>
    internal static string CheckPlacement(string path, IEnumerable<string> protectedPaths)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (Forbidden.Contains(full, StringComparer.Ordinal))
            throw new CicdException(CicdError.InvalidPath, $"'{full}' is a system directory; it cannot be a project path.", path);
        foreach (var p in protectedPaths)
        {
            var prot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(p));
            if (IsSameOrUnder(prot, full) || IsSameOrUnder(full, prot))
                throw new CicdException(CicdError.InvalidPath, $"The project path '{full}' overlaps '{prot}', which must stay root-only.", path);
        }
        return full;
    }

    /// <summary>
    /// Without fs.protected_hardlinks a project user can hard-link /etc/shadow into its tree and wait for
    /// the next recursive chown; refuse rather than hand it over.
    /// </summary>
    private static void RequireProtectedHardlinks()
    {
        const string setting = "/proc/sys/fs/protected_hardlinks";
        if (File.Exists(setting) && File.ReadAllText(setting).Trim() != "1")
            throw new CicdException(CicdError.ServiceUserFailed,
                "fs.protected_hardlinks is off, so giving a project's files to its user is unsafe.", setting,
                "Run: sysctl -w fs.protected_hardlinks=1 (and persist it in /etc/sysctl.d).");
    }

    private static bool IsSameOrUnder(string candidate, string dir) =>
        candidate == dir || candidate.StartsWith(dir.EndsWith('/') ? dir : dir + "/", StringComparison.Ordinal);
}
