using System.Globalization;

namespace CicdOps.Engine.Monitoring;

/// <summary>Host figures from /proc and statvfs: CPU use since the previous probe, memory, load, free disk space.</summary>
internal sealed class HostProbe
{
    private (long Busy, long Total)? _previous;

    public HostStats Sample(string dataPath)
    {
        var (total, available) = Memory();
        return new HostStats
        {
            CpuPercent = Cpu(),
            MemoryTotalBytes = total,
            MemoryAvailableBytes = available,
            DataDiskFreeBytes = FreeBytes(dataPath) ?? 0,
            Load1 = Load(),
        };
    }

    /// <summary>Free space for unprivileged users of the file system holding <paramref name="path"/> (its nearest existing ancestor); null when none.</summary>
    public static long? FreeBytes(string path)
    {
        var dir = path;
        while (!Directory.Exists(dir))
        {
            var parent = Path.GetDirectoryName(dir);
            if (string.IsNullOrEmpty(parent) || parent == dir) return null;
            dir = parent;
        }
        try { return new DriveInfo(dir).AvailableFreeSpace; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException) { return null; }
    }

    /// <summary>Seconds since boot (/proc/uptime), to turn a process's start ticks into its uptime.</summary>
    public static double? UptimeSeconds()
    {
        try
        {
            var text = File.ReadAllText("/proc/uptime");
            return double.Parse(text.AsSpan(0, text.IndexOf(' ')), CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentException) { return null; }
    }

    private double? Cpu()
    {
        try
        {
            string first;
            using (var r = new StreamReader("/proc/stat")) first = r.ReadLine() ?? "";
            var fields = first.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
                .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
            var idle = fields[3] + (fields.Length > 4 ? fields[4] : 0);
            var total = fields.Take(8).Sum();
            var now = (Busy: total - idle, Total: total);
            var before = _previous;
            _previous = now;
            if (before is not { } b || now.Total <= b.Total) return null;
            return Math.Round(100.0 * (now.Busy - b.Busy) / (now.Total - b.Total), 1);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException) { return null; }
    }

    private static (long Total, long Available) Memory()
    {
        long total = 0, available = 0;
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (line.StartsWith("MemTotal:", StringComparison.Ordinal)) total = Kb(line);
                else if (line.StartsWith("MemAvailable:", StringComparison.Ordinal)) { available = Kb(line); break; }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return (total, available);
    }

    private static long Kb(string line) =>
        long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;

    private static double Load()
    {
        try
        {
            var text = File.ReadAllText("/proc/loadavg");
            return double.Parse(text.AsSpan(0, text.IndexOf(' ')), CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentException) { return 0; }
    }
}
