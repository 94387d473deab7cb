namespace CicdOps.Engine.Processes;

/// <summary>Reads /proc: a process's start time (to tell a live process from a reused pid) and zombie state.</summary>
internal static class ProcFs
{
    /// <summary>Start time in clock ticks since boot (field 22 of /proc/pid/stat), or null when unknown.</summary>
    public static long? StartTicks(int pid)
    {
        var f = StatFields(pid);
        return f is not null && f.Length > 19 && long.TryParse(f[19], out var t) ? t : null;
    }

    public static bool IsZombie(int pid) => StatFields(pid) is { } f && f[0] == "Z";

    /// <summary>Is this the same live process we recorded (pid alive, not a zombie, same start time when known)?</summary>
    public static bool IsAlive(int pid, long? startTicks)
    {
        if (pid <= 0 || !Posix.Exists(pid)) return false;
        if (!OperatingSystem.IsLinux()) return true;
        if (IsZombie(pid)) return false;
        return startTicks is null || StartTicks(pid) == startTicks;
    }

    /// <summary>The fields after the command name of /proc/pid/stat (state first), or null.</summary>
    private static string[]? StatFields(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')'); // the command name may contain spaces and parentheses
            return close < 0 ? null : stat[(close + 2)..].Split(' ');
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
