using System.Globalization;
using System.Net.Sockets;

namespace CicdOps.Engine.Processes;

/// <summary>Which processes listen on a TCP port, read from /proc/net/tcp{,6} and each process's socket fds.</summary>
internal static class PortOwners
{
    private const string Listen = "0A";

    public static bool IsListening(int port)
    {
        if (OperatingSystem.IsLinux()) return ListeningInodes(port).Count > 0;
        try { using var c = new TcpClient(); c.Connect("127.0.0.1", port); return true; }
        catch (SocketException) { return false; }
    }

    /// <summary>
    /// Pids holding a listening socket on the port (any address). Only processes we may inspect are seen; this
    /// process itself only with <paramref name="includeSelf"/> (the listener holding a project's port is a holder too).
    /// </summary>
    public static List<int> Pids(int port, bool includeSelf = false)
    {
        var inodes = ListeningInodes(port);
        var pids = new List<int>();
        if (inodes.Count == 0) return pids;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || (pid == Environment.ProcessId && !includeSelf)) continue;
            try
            {
                foreach (var fd in Directory.EnumerateFileSystemEntries(Path.Combine(dir, "fd")))
                {
                    var target = new FileInfo(fd).LinkTarget;
                    if (target is not null && target.StartsWith("socket:[") &&
                        inodes.Contains(target["socket:[".Length..^1])) { pids.Add(pid); break; }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* gone, or not ours to see */ }
        }
        return pids;
    }

    private static HashSet<string> ListeningInodes(int port)
    {
        var inodes = new HashSet<string>();
        var hexPort = port.ToString("X4", CultureInfo.InvariantCulture);
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table)) continue;
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                // f[1] local "ADDR:PORT", f[3] state, f[9] inode
                if (f.Length > 9 && f[3] == Listen && f[1].EndsWith(":" + hexPort, StringComparison.Ordinal)) inodes.Add(f[9]);
            }
        }
        return inodes;
    }
}
