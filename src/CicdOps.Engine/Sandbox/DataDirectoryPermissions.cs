using System.Runtime.Versioning;
using CicdOps.Engine.Secrets;
using CicdOps.Engine.State;

namespace CicdOps.Engine.Sandbox;

/// <summary>
/// The data directory holds what the runner trusts (state, queue, master key): only the engine's own
/// account may enter it (0700), and the database (with its -wal/-shm) and key files are 0600.
/// As root, ownership is also reset to root, in case something was copied in by another account.
/// </summary>
[SupportedOSPlatform("linux")]
[SupportedOSPlatform("macos")]
internal static class DataDirectoryPermissions
{
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static void Enforce(string dataPath, string? masterKeyFile = null)
    {
        var dir = Path.GetFullPath(dataPath);
        Directory.CreateDirectory(dir, DirectoryMode);
        if (new DirectoryInfo(dir).LinkTarget is not null)
            throw new CicdException(CicdError.DataDirectoryUnavailable, $"The data directory '{dir}' is a symbolic link.", dir);
        Restrict(dir, DirectoryMode);
        var files = new List<string>
        {
            Path.Combine(dir, Database.FileName),
            Path.Combine(dir, Database.FileName + "-wal"),
            Path.Combine(dir, Database.FileName + "-shm"),
            Path.Combine(dir, Database.FileName + "-journal"),
            Path.Combine(dir, MasterKey.FileName),
        };
        if (masterKeyFile is not null) files.Add(Path.GetFullPath(masterKeyFile));
        foreach (var f in files)
            if (File.Exists(f) && new FileInfo(f).LinkTarget is null) Restrict(f, FileMode);
    }

    private static void Restrict(string path, UnixFileMode mode)
    {
        if (UnixIds.IsRoot) UnixIds.ChownNoFollow(path, 0, 0);
        File.SetUnixFileMode(path, mode);
    }
}
