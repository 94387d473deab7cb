using System.Runtime.InteropServices;

namespace CicdOps.Cmdlets.Isolation;

/// <summary>
/// A file's device and inode, to tell "the same file" from "a new file at the same path" (.NET exposes no inode).
/// Written by hand around stat(2): on Linux x64 and arm64 alike, struct stat begins with st_dev then st_ino (two
/// 64-bit fields), so only those are read from an oversized buffer. Where libc has no `stat` symbol (glibc before
/// 2.33) it degrades to "exists or not".
/// </summary>
internal static class FileIdentity
{
    public static (ulong Device, ulong Inode)? Of(string path)
    {
        if (!OperatingSystem.IsLinux()) return File.Exists(path) ? (0UL, 0UL) : null;
        var buffer = new ulong[32]; // 256 bytes: larger than struct stat on every Linux ABI
        try
        {
            return Stat(path, buffer) == 0 ? (buffer[0], buffer[1]) : null;
        }
        catch (EntryPointNotFoundException)
        {
            return File.Exists(path) ? (0UL, 0UL) : null;
        }
    }

    [DllImport("libc", EntryPoint = "stat", SetLastError = true)]
    private static extern int Stat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, [Out] ulong[] buffer);
}
