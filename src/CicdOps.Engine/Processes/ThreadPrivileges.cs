using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace CicdOps.Engine.Processes;

/// <summary>
/// The capability and no_new_privs part of setpriv, applied to the calling thread only (Linux keeps all of them per
/// thread), for a child that thread is about to fork: no_new_privs and the bounding set survive execve, and leaving
/// uid 0 in the child clears its permitted, effective and ambient capabilities. Call it only on a thread made for one
/// launch (ThreadLaunch): none of it can be undone.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class ThreadPrivileges
{
    private const int PR_CAPBSET_DROP = 24;
    private const int PR_SET_NO_NEW_PRIVS = 38;
    private const int PR_GET_NO_NEW_PRIVS = 39;
    private const int PR_CAP_AMBIENT = 47;
    private const int PR_CAP_AMBIENT_CLEAR_ALL = 4;
    private const uint LinuxCapabilityVersion3 = 0x20080522;

    [StructLayout(LayoutKind.Sequential)]
    private struct CapHeader { public uint Version; public int Pid; }

    [StructLayout(LayoutKind.Sequential)]
    private struct CapData { public uint Effective, Permitted, Inheritable; }

    [DllImport("libc", EntryPoint = "prctl", SetLastError = true)]
    private static extern int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [DllImport("libc", EntryPoint = "capget", SetLastError = true)]
    private static extern int CapGet(ref CapHeader header, [In, Out] CapData[] data);

    [DllImport("libc", EntryPoint = "capset", SetLastError = true)]
    private static extern int CapSet(ref CapHeader header, CapData[] data);

    private static readonly Lazy<int> LastCapability = new(() =>
        int.Parse(File.ReadAllText("/proc/sys/kernel/cap_last_cap").Trim(), NumberStyles.None, CultureInfo.InvariantCulture));

    /// <summary>
    /// Inheritable and ambient capabilities cleared (setpriv --inh-caps=-all); with <paramref name="noNewPrivs"/> also an
    /// empty bounding set and no_new_privs (--bounding-set=-all --no-new-privs). Throws when any step fails.
    /// </summary>
    public static void DropForChild(bool noNewPrivs)
    {
        // EINVAL: a kernel without ambient capabilities (before 4.3) has none to clear.
        if (Prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && Marshal.GetLastWin32Error() != 22) Fail("clearing ambient capabilities");
        var header = new CapHeader { Version = LinuxCapabilityVersion3, Pid = 0 };
        var data = new CapData[2];
        if (CapGet(ref header, data) != 0) Fail("reading capabilities");
        data[0].Inheritable = 0;
        data[1].Inheritable = 0;
        header = new CapHeader { Version = LinuxCapabilityVersion3, Pid = 0 };
        if (CapSet(ref header, data) != 0) Fail("clearing inheritable capabilities");
        if (!noNewPrivs) return;
        for (var cap = 0; cap <= LastCapability.Value; cap++)
            if (Prctl(PR_CAPBSET_DROP, (nuint)cap, 0, 0, 0) != 0) Fail($"dropping capability {cap} from the bounding set");
        if (Prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || Prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) Fail("setting no_new_privs");
    }

    private static void Fail(string what) => throw new IOException($"{what} failed (errno {Marshal.GetLastWin32Error()})");
}
