using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace CicdOps.Engine.Sandbox;

/// <summary>
/// File operations done in this process but with exactly the project account's file-system rights, instead of a
/// process started as the account: for the duration of a synchronous body the calling thread's file-system ids
/// (setfsuid/setfsgid) and supplementary groups (the raw setgroups syscall, which glibc would apply to every
/// thread) become the account's. Leaving fsuid 0 drops CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_CHOWN and the other
/// file capabilities of this thread, so the kernel checks every path step as it would for the account: a link or
/// directory the account swaps in meanwhile can only lead where the account itself may write. Everything created
/// is the account's. All three are per thread in Linux, and restored before the thread does anything else (a
/// thread that cannot be restored ends the process rather than go on as the account).
/// </summary>
[SupportedOSPlatform("linux")]
internal static class AccountFileSystem
{
    [DllImport("libc", EntryPoint = "setfsuid")]
    private static extern int SetFsUid(uint uid);

    [DllImport("libc", EntryPoint = "setfsgid")]
    private static extern int SetFsGid(uint gid);

    [DllImport("libc", EntryPoint = "getgroups", SetLastError = true)]
    private static extern int GetGroups(int size, [Out] uint[]? list);

    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static extern long Syscall(long number, long size, uint[] list);

    [DllImport("libc", EntryPoint = "symlink", SetLastError = true)]
    private static extern int SysSymlink([MarshalAs(UnmanagedType.LPUTF8Str)] string target, [MarshalAs(UnmanagedType.LPUTF8Str)] string path);

    [DllImport("libc", EntryPoint = "rename", SetLastError = true)]
    private static extern int SysRename([MarshalAs(UnmanagedType.LPUTF8Str)] string from, [MarshalAs(UnmanagedType.LPUTF8Str)] string to);

    [DllImport("libc", EntryPoint = "unlink", SetLastError = true)]
    private static extern int SysUnlink([MarshalAs(UnmanagedType.LPUTF8Str)] string path);

    /// <summary>setgroups(2) for this thread only, by number: glibc's wrapper changes every thread of the process.</summary>
    private static long? SetGroupsSyscall => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 116,
        Architecture.Arm64 => 159,
        _ => null,
    };

    /// <summary>Whether <see cref="Run"/> can switch identities here (root, Linux on x64 or arm64).</summary>
    public static bool Available => OperatingSystem.IsLinux() && SetGroupsSyscall is not null && UnixIds.IsRoot;

    private static readonly object Gate = new();

    /// <summary>
    /// Runs <paramref name="body"/> (synchronous: no await inside, it must stay on this thread) with the account's
    /// file-system rights. When the engine is not root it already is the account (unsandboxed), and the body runs as is.
    /// </summary>
    public static T Run<T>(ServiceAccount account, Func<T> body)
    {
        if (!UnixIds.IsRoot) return body();
        if (!Available) throw new PlatformNotSupportedException("per-thread setgroups is not known on this architecture");
        if (account.Uid == 0 || account.Gid == 0) throw new InvalidOperationException("never as root");
        var groups = UnixGroupList.Of(account.Name, account.Gid) ?? new[] { account.Gid };
        var own = OwnGroups();
        // One thread at a time: nothing else needs it, and a bug that leaked ids could then only be on one thread.
        lock (Gate)
        {
            if (Syscall(SetGroupsSyscall!.Value, groups.Length, groups) != 0)
                throw new IOException($"setgroups for {account.Name} failed (errno {Marshal.GetLastWin32Error()})");
            try
            {
                SetFsGid(account.Gid);
                SetFsUid(account.Uid);
                // Both calls return the previous id; calling again returns the current one, which must be the account's.
                if (SetFsGid(account.Gid) != account.Gid || SetFsUid(account.Uid) != account.Uid)
                    throw new IOException($"cannot take the file-system identity of {account.Name}");
                return body();
            }
            finally { Restore(own); }
        }
    }

    private static uint[] OwnGroups()
    {
        var n = GetGroups(0, null);
        var list = new uint[Math.Max(n, 0)];
        if (n > 0 && GetGroups(n, list) != n) throw new IOException("getgroups failed");
        return list;
    }

    private static void Restore(uint[] groups)
    {
        SetFsUid(0);
        SetFsGid(0);
        var ok = SetFsUid(0) == 0 && SetFsGid(0) == 0 && Syscall(SetGroupsSyscall!.Value, groups.Length, groups) == 0;
        // A thread left with the account's identity must not go back to the pool: stop here.
        if (!ok) Environment.FailFast("cicdops: could not restore the engine's file-system identity after acting as a project's account");
    }

    /// <summary>
    /// <paramref name="link"/> becomes a symbolic link to <paramref name="target"/>, made under <paramref name="temporary"/>
    /// and renamed over the old link (rename(2): readers see the old or the new link, never none). Call inside <see cref="Run"/>.
    /// </summary>
    public static void ReplaceLink(string target, string temporary, string link)
    {
        if (SysUnlink(temporary) != 0 && Marshal.GetLastWin32Error() != 2 /* ENOENT */) Fail("removing", temporary);
        if (SysSymlink(target, temporary) != 0) Fail("making the link", temporary);
        if (SysRename(temporary, link) != 0) Fail("renaming it to", link);
    }

    /// <summary>Removes a directory tree (links in it are removed, never followed); false when something could not go. Call inside <see cref="Run"/>.</summary>
    public static bool RemoveTree(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (info.LinkTarget is not null || (info.Exists && !info.Attributes.HasFlag(FileAttributes.Directory))) info.Delete();
            else if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    private static void Fail(string what, string path) =>
        throw new IOException($"{what} {path} failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastWin32Error())}");
}
