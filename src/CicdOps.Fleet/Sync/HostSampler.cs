using System.Globalization;

namespace CicdOps.Fleet.Sync;

/// <summary>Host figures from /proc (Linux) and the data directory's file system; CPU is the use since the previous sample.</summary>
internal sealed class HostSampler
{
    private readonly string _dataPath;
    private (long Busy, long Total)? _previous;

    public HostSampler(string dataPath) { _dataPath = dataPath; }

    public HostStats Sample()
    {
        var (total, available) = Memory();
        return new HostStats
        {
            CpuPercent = Cpu(),
            MemoryTotalBytes = total,
            MemoryAvailableBytes = available,
            DataDiskFreeBytes = new DriveInfo(_dataPath).AvailableFreeSpace,
            Load1 = Load(),
        };
    }

    private double? Cpu()
    {
        if (!File.Exists("/proc/stat")) return null;
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        var idle = fields[3] + (fields.Length > 4 ? fields[4] : 0);
        var total = fields.Take(8).Sum();
        var now = (Busy: total - idle, Total: total);
        var before = _previous;
        _previous = now;
        if (before is not { } b || now.Total <= b.Total) return null;
        return Math.Round(100.0 * (now.Busy - b.Busy) / (now.Total - b.Total), 1);
    }

    private static (long Total, long Available) Memory()
    {
        if (!File.Exists("/proc/meminfo")) return (0, 0);
        long total = 0, available = 0;
        foreach (var line in File.ReadLines("/proc/meminfo"))
        {
            if (line.StartsWith("MemTotal:", StringComparison.Ordinal)) total = Kb(line);
            else if (line.StartsWith("MemAvailable:", StringComparison.Ordinal)) available = Kb(line);
        }
        return (total, available);
    }

    private static long Kb(string line) =>
        long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;

    private static double Load() => File.Exists("/proc/loadavg")
        ? double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture)
        : 0;
}
