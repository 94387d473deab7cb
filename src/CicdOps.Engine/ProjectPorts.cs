using CicdOps.Engine.Listener;
using CicdOps.Engine.State;
using Microsoft.Data.Sqlite;

namespace CicdOps.Engine;

/// <summary>
/// Registration's port rules (add and set): a port is one project's alone, never the listener's, and below
/// 1024 only when asked for explicitly. At deploy time the Stop stage still refuses a port held by anything
/// that is not the project's (see Processes/ProjectProcesses).
/// </summary>
internal static class ProjectPorts
{
    public static void CheckPrivileged(int? port, bool allowed)
    {
        if (port is not { } p) return;
        if (p == ListenerOptions.DefaultPort)
            throw new CicdException(CicdError.InvalidPort, $"Port {p} is the CicdOps listener's port; choose another one for the app.", p,
                "Pass another port with -Port / --port.");
        if (p < 1024 && !allowed)
            throw new CicdException(CicdError.InvalidPort,
                $"Port {p} is a privileged port (below 1024), usually a system service's (22 is ssh); refused unless asked for.", p,
                "If the app really must serve on it, add -AllowPrivilegedPort / --allow-privileged-port; otherwise choose a port from 1024 up.");
    }

    /// <summary>A port a listener of this data directory serves on (any port, not only 9641) is never an app's.</summary>
    public static void CheckListeners(int? port, string dataPath)
    {
        if (port is { } p && p != ListenerOptions.DefaultPort && ListenerPortRecord.Contains(dataPath, p))
            throw new CicdException(CicdError.InvalidPort, $"Port {p} is a CicdOps listener's port (cicdops listen --port {p}); choose another one for the app.", p,
                "Pass another port with -Port / --port.");
    }

    public static void CheckShared(SqliteConnection c, Project p)
    {
        if (p.Port is not { } port) return;
        var other = ProjectStore.All(c).FirstOrDefault(o => o.Name != p.Name && o.Port == port);
        if (other is not null)
            throw new CicdException(CicdError.InvalidPort, $"Port {port} is already the port of project '{other.Name}'.", port,
                "Choose another port with -Port / --port; two apps cannot serve on one port.");
    }
}
