using System.Globalization;

namespace CicdOps.Engine.Processes;

/// <summary>
/// Reads /proc: a process's start time (to tell a live process from a reused pid), zombie state, owner,
/// parent, process group, command line and one environment variable.
/// </summary>
internal static class ProcFs
{
    /// <summary>Start time in clock ticks since boot (field 22 of /proc/pid/stat), or null when unknown.</summary>
    public static long? StartTicks(int pid)
    {
        var f = StatFields(pid);
        return f is not null && f.Length > 19 && long.TryParse(f[19], out var t) ? t : null;
    }

    public static bool IsZombie(int pid) => StatFields(pid) is { } f && f[0] == "Z";

    /// <summary>The parent pid (field 4 of /proc/pid/stat), or null.</summary>
    public static int? ParentPid(int pid) =>
        StatFields(pid) is { Length: > 1 } f && int.TryParse(f[1], out var p) ? p : null;

    /// <summary>Is this the same live process we recorded (pid alive, not a zombie, same start time when known)?</summary>
    public static bool IsAlive(int pid, long? startTicks)
    {
        if (pid <= 0 || !Posix.Exists(pid)) return false;
        if (!OperatingSystem.IsLinux()) return true;
        if (IsZombie(pid)) return false;
        return startTicks is null || StartTicks(pid) == startTicks;
    }

    /// <summary>The real uid (first field of "Uid:" in /proc/pid/status), or null when the process is gone.</summary>
    public static uint? Uid(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
            var f = line?.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
            return f is { Length: > 1 } && uint.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out var uid) ? uid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>The command line, words joined by spaces, control characters shown as '?', at most 120 characters.</summary>
    public static string CommandLine(int pid)
    {
        try
        {
            var raw = File.ReadAllText($"/proc/{pid}/cmdline");
            var text = raw.TrimEnd('\0').Replace('\0', ' ');
            if (text.Length == 0) text = "[" + File.ReadAllText($"/proc/{pid}/comm").Trim() + "]";
            text = new string(text.Select(ch => char.IsControl(ch) ? '?' : ch).ToArray());
            return text.Length > 120 ? text[..117] + "..." : text;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return "?"; }
    }

    /// <summary>Whether the process's environment holds NAME=VALUE exactly (false when it cannot be read).</summary>
    public static bool HasEnvironment(int pid, string name, string value)
    {
        try
        {
            var wanted = name + "=" + value;
            return File.ReadAllText($"/proc/{pid}/environ").Split('\0').Contains(wanted, StringComparer.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>Every pid in /proc (ours included).</summary>
    public static IEnumerable<int> AllPids()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) yield return pid;
    }

    /// <summary>This process and every ancestor up to init: never a project's, whatever a PID file says.</summary>
    public static HashSet<int> SelfAndAncestors()
    {
        var chain = new HashSet<int>();
        int? pid = Environment.ProcessId;
        while (pid is > 0 && chain.Add(pid.Value)) pid = ParentPid(pid.Value);
        return chain;
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
