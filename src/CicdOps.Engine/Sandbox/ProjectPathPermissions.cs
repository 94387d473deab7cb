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

    /// <summary>
    /// Recursively chowns <paramref name="path"/> to the account without following symlinks, then sets its
    /// root to 0750. The path must pass <see cref="ProjectPathPolicy.Place"/> exactly as stored (a link
    /// swapped in since registration is refused) and must not itself be a link.
    /// </summary>
    public static void Realign(string path, ServiceAccount account, params string[] protectedPaths) =>
        RealignChecked(Validate(path, protectedPaths), account);

    /// <summary><see cref="Realign"/> of a path placed a moment ago (ProjectPathPolicy.Place's result, links resolved).</summary>
    public static void RealignChecked(string full, ServiceAccount account)
    {
        RequireRealDirectory(full, full);
        RequireProtectedHardlinks();
        ToolRunner.RunOrThrow("chown",
            new[] { "--recursive", "--no-dereference", "-P", "--", $"{account.Uid}:{account.Gid}", full },
            $"Giving '{full}' to '{account.Name}'");
        File.SetUnixFileMode(full, RootMode);
    }

    /// <summary>
    /// When the project's account is deleted, its tree goes back to root: a uid reused by a later account
    /// must not inherit it. Nothing happens when the path no longer passes the placement checks.
    /// </summary>
    public static void ReturnToRoot(string path, params string[] protectedPaths)
    {
        string full;
        try { full = Validate(path, protectedPaths); }
        catch (CicdException) { return; }
        ToolRunner.RunOrThrow("chown", new[] { "--recursive", "--no-dereference", "-P", "--", "0:0", full }, $"Giving '{full}' back to root");
    }

    internal static string Validate(string path, IEnumerable<string> protectedPaths)
    {
        var full = ProjectPathPolicy.Place(path, protectedPaths);
        if (full != SystemPaths.Normalize(path))
            throw new CicdException(CicdError.InvalidPath, $"The project path '{path}' now leads elsewhere ({full}) through a symbolic link; refusing to touch it.", path);
        RequireRealDirectory(full, path);
        return full;
    }

    private static void RequireRealDirectory(string full, string path)
    {
        var info = new DirectoryInfo(full);
        if (!info.Exists)
            throw new CicdException(CicdError.InvalidPath, $"The project path '{full}' does not exist.", path);
        if (info.LinkTarget is not null)
            throw new CicdException(CicdError.InvalidPath, $"The project path '{full}' is a symbolic link; use the real directory.", path);
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

}
