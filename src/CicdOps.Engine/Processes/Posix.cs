using System.Runtime.InteropServices;

namespace CicdOps.Engine.Processes;

/// <summary>The few libc calls .NET does not expose: signals to process groups.</summary>
internal static class Posix
{
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
    private const int ESRCH = 3;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int sig);

    [DllImport("libc", EntryPoint = "getpgid", SetLastError = true)]
    private static extern int SysGetpgid(int pid);

    /// <summary>Sends a signal; false when no such process (or group) exists.</summary>
    public static bool Kill(int pid, int signal) => SysKill(pid, signal) == 0;

    /// <summary>True when the process (pid &gt; 0) or group (pid &lt; 0) exists, even if we may not signal it.</summary>
    public static bool Exists(int pid) => SysKill(pid, 0) == 0 || Marshal.GetLastWin32Error() != ESRCH;

    public static int? ProcessGroupOf(int pid) { var g = SysGetpgid(pid); return g > 0 ? g : null; }

    public static int OwnProcessGroup => SysGetpgid(0);
}
