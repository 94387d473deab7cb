using System.Globalization;

namespace CicdOps.Engine.Sandbox;

/// <summary>
/// A process identified by pid plus its start time (field 22 of /proc/&lt;pid&gt;/stat), so a recycled pid
/// is not mistaken for the process that wrote a record.
/// </summary>
internal readonly record struct ProcessIdentity(int Pid, long StartTime)
{
    public static ProcessIdentity Current => new(Environment.ProcessId, StartTimeOf(Environment.ProcessId) ?? 0);

    public override string ToString() => $"{Pid} {StartTime}";

    public static ProcessIdentity? Parse(string text)
    {
        var parts = text.Trim().Split(' ');
        return parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var start)
            ? new ProcessIdentity(pid, start) : null;
    }

    public bool IsAlive => StartTimeOf(Pid) is { } start && start == StartTime;

    private static long? StartTimeOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) may contain spaces and ')': fields after the last ')' are fixed.
            var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(rest[19], CultureInfo.InvariantCulture); // field 22 = index 19 after field 2
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }
}
