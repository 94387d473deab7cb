using System.Runtime.InteropServices;

namespace CicdOps.Engine.Processes;

/// <summary>
/// Standard input and output for the one child a launch thread starts (<see cref="ThreadLaunch"/>), set up in that
/// thread alone: the thread takes a file descriptor table of its own (unshare CLONE_FILES; the engine's other threads
/// keep theirs, and no other start can inherit what is opened here), in which 0 reads /dev/null and 1 and 2 append to
/// the app's log, opened here as root. The child inherits them as .NET leaves 0–2 alone when nothing is redirected.
/// The app's log lives in the root-only data directory, so before this a root shell had to open it and then exec
/// setpriv: two execs in front of run.sh. No library does this: .NET redirects only to pipes.
/// </summary>
internal static class ThreadStdio
{
    private const int CLONE_FILES = 0x400;
    private const int O_RDONLY = 0, O_WRONLY = 1, O_CREAT = 0x40, O_APPEND = 0x400, O_NOFOLLOW = 0x20000, O_CLOEXEC = 0x80000;

    [DllImport("libc", EntryPoint = "unshare", SetLastError = true)]
    private static extern int Unshare(int flags);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mode);

    [DllImport("libc", EntryPoint = "dup2", SetLastError = true)]
    private static extern int Dup2(int from, int to);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);

    /// <summary>Only on the launch thread, which ends after its one start: its file table is never given back.</summary>
    public static void AppendOutputTo(string log)
    {
        if (Unshare(CLONE_FILES) != 0) throw Failed("unshare(CLONE_FILES)");
        var nul = Open("/dev/null", O_RDONLY | O_CLOEXEC, 0);
        if (nul < 0) throw Failed("open /dev/null");
        var fd = Open(log, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0b110_000_000);
        if (fd < 0) throw Failed("open " + log);
        // dup2 clears close-on-exec on the copy: only 0, 1 and 2 reach the child.
        if (Dup2(nul, 0) < 0 || Dup2(fd, 1) < 0 || Dup2(fd, 2) < 0) throw Failed("dup2");
        Close(nul);
        Close(fd);
    }

    private static IOException Failed(string what) => new($"{what} failed (errno {Marshal.GetLastWin32Error()})");
}
