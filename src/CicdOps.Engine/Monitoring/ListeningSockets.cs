using System.Globalization;

namespace CicdOps.Engine.Monitoring;

/// <summary>
/// The listening TCP sockets of the host (/proc/net/tcp and tcp6, read once per sampler pass) by inode, and which of
/// them a process holds (its /proc/PID/fd links "socket:[INODE]").
/// </summary>
internal sealed class ListeningSockets
{
    private const string Listen = "0A";
    private readonly Dictionary<long, int> _portByInode = new();

    public int Count => _portByInode.Count;

    /// <summary>Re-reads the tables (the previous contents are dropped: memory stays the size of one table).</summary>
    public void Refresh()
    {
        _portByInode.Clear();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            try
            {
                foreach (var line in File.ReadLines(table).Skip(1))
                {
                    var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    // f[1] local "ADDR:PORT" (hex), f[3] state, f[9] inode
                    if (f.Length <= 9 || f[3] != Listen) continue;
                    var colon = f[1].LastIndexOf(':');
                    if (colon < 0 || !int.TryParse(f[1].AsSpan(colon + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var port)) continue;
                    if (long.TryParse(f[9], NumberStyles.None, CultureInfo.InvariantCulture, out var inode) && inode != 0) _portByInode[inode] = port;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* no IPv6, or not Linux */ }
        }
    }

    /// <summary>Adds to <paramref name="ports"/> the listening ports among the process's open sockets.</summary>
    public void AddPortsOf(int pid, SortedSet<int> ports)
    {
        if (_portByInode.Count == 0) return;
        try
        {
            foreach (var fd in Directory.EnumerateFileSystemEntries("/proc/" + pid.ToString(CultureInfo.InvariantCulture) + "/fd"))
            {
                var target = new FileInfo(fd).LinkTarget;
                if (target is null || !target.StartsWith("socket:[", StringComparison.Ordinal)) continue;
                if (long.TryParse(target.AsSpan(8, target.Length - 9), NumberStyles.None, CultureInfo.InvariantCulture, out var inode) &&
                    _portByInode.TryGetValue(inode, out var port))
                    ports.Add(port);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* gone meanwhile */ }
    }
}
