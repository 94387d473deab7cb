using System.Globalization;
using System.Runtime.Versioning;

namespace CicdOps.Engine.Sandbox;

/// <summary>Owner, group and permission bits of a file itself (lstat: a link is not followed).</summary>
internal readonly record struct FileOwner(uint Uid, uint Gid, int Mode);

/// <summary>
/// .NET exposes modes but not owners: statx(2) gives both without following links, in this process (a deploy checks
/// a few paths each time); stat(1), for many paths in one run, where statx is missing or fails (its error is the one shown).
/// </summary>
[SupportedOSPlatform("linux")]
internal static class FileOwners
{
    public static IReadOnlyList<FileOwner> Of(IReadOnlyList<string> paths)
    {
        if (paths.Count == 0) return Array.Empty<FileOwner>();
        var direct = new List<FileOwner>(paths.Count);
        foreach (var path in paths)
        {
            if (Statx.Owner(path) is not { } owner) { direct = null; break; }
            direct.Add(owner);
        }
        if (direct is not null) return direct;
        var r = ToolRunner.Run("stat", new[] { "--format=%u %g %a", "--" }.Concat(paths));
        var lines = r.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (r.ExitCode != 0 || lines.Length != paths.Count)
            throw new CicdException(CicdError.InvalidPath, $"Cannot read the owner of '{paths[0]}': {r.OneLineError}", paths[0]);
        return lines.Select(l =>
        {
            var f = l.Split(' ');
            return new FileOwner(uint.Parse(f[0], CultureInfo.InvariantCulture), uint.Parse(f[1], CultureInfo.InvariantCulture),
                Convert.ToInt32(f[2], 8));
        }).ToList();
    }
}

/// <summary>statx(2) through glibc: its struct has one layout on every architecture (unlike struct stat).</summary>
[SupportedOSPlatform("linux")]
internal static class Statx
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint WantModeUidGid = 0x2 | 0x8 | 0x10; // STATX_MODE | STATX_UID | STATX_GID

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Call(int dirfd, [System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string path,
        int flags, uint mask, byte[] buffer);

    /// <summary>Owner, group and permission bits (as stat's %a: with setuid, setgid and sticky) of the path itself; null when statx cannot tell.</summary>
    public static FileOwner? Owner(string path)
    {
        try
        {
            var buffer = new byte[256]; // sizeof(struct statx)
            if (Call(AtFdCwd, path, AtSymlinkNoFollow, WantModeUidGid, buffer) != 0) return null;
            var mask = BitConverter.ToUInt32(buffer, 0);
            if ((mask & WantModeUidGid) != WantModeUidGid) return null;
            // stx_uid at 20, stx_gid at 24, stx_mode (16 bits) at 28.
            return new FileOwner(BitConverter.ToUInt32(buffer, 20), BitConverter.ToUInt32(buffer, 24), BitConverter.ToUInt16(buffer, 28) & 0xFFF);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return null; }
    }
}
