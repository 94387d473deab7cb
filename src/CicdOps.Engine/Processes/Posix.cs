using System.Runtime.InteropServices;

namespace CicdOps.Engine.Processes;

/// <summary>The few libc calls .NET does not expose: signals to process groups, a thread's id, and a link that never replaces.</summary>
internal static class Posix
{
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
    private const int ESRCH = 3;
    private const int EEXIST = 17;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int sig);

    [DllImport("libc", EntryPoint = "getpgid", SetLastError = true)]
    private static extern int SysGetpgid(int pid);

    [DllImport("libc", EntryPoint = "gettid")]
    private static extern int SysGettid();

    [DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int SysLink(string existing, string newPath);

    /// <summary>
    /// Gives <paramref name="existing"/> the name <paramref name="newPath"/> unless that name exists: false then.
    /// Atomic, unlike File.Move without overwrite, which checks and then renames (a racer's file is replaced).
    /// </summary>
    public static bool LinkUnlessExists(string existing, string newPath)
    {
        if (SysLink(existing, newPath) == 0) return true;
        var errno = Marshal.GetLastWin32Error();
        if (errno == EEXIST) return false;
        throw new IOException($"Cannot link '{existing}' to '{newPath}' (errno {errno}).");
    }

    /// <summary>Sends a signal; false when no such process (or group) exists.</summary>
    public static bool Kill(int pid, int signal) => SysKill(pid, signal) == 0;

    /// <summary>True when the process (pid &gt; 0) or group (pid &lt; 0) exists, even if we may not signal it.</summary>
    public static bool Exists(int pid) => SysKill(pid, 0) == 0 || Marshal.GetLastWin32Error() != ESRCH;

    /// <summary>The kernel's id of the calling thread.</summary>
    public static int CurrentThreadId() => SysGettid();

    public static int? ProcessGroupOf(int pid) { var g = SysGetpgid(pid); return g > 0 ? g : null; }

    public static int OwnProcessGroup => SysGetpgid(0);
}
