using CicdOps.Engine.Fleet;
using CicdOps.Engine.Sandbox;

namespace CicdOps.Fleet.Rollouts;

/// <summary>
/// Ends rollouts whose driver is gone, so none stays Running forever: one driven from this node whose process (pid and
/// start time) no longer runs, at once; one driven from any node whose heartbeat is older than <see cref="StaleAfter"/>.
/// Run by `fleet rollouts` / `fleet rollout ID` (and their cmdlets) before they read, by a driver before it starts, and
/// by every listener's request runner on its timer. Not resumed: requests the nodes already took run on and report; the
/// rest are skipped, and a new fleet action starts a new rollout.
/// </summary>
public static class AbandonedRollouts
{
    /// <summary>How often a driver writes that it is alive.</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(5);

    /// <summary>A driver not heard from for this long is gone (twelve missed heartbeats: room for a slow registry and clock skew).</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(60);

    /// <summary>Abandons every Running rollout whose driver is gone; returns those this call ended, with the reason recorded.</summary>
    public static async Task<IReadOnlyList<(string Id, string Reason)>> EndAsync(IFleetRolloutStore store, string? localNodeId, CancellationToken ct,
        TimeSpan? staleAfter = null)
    {
        var ended = new List<(string, string)>();
        foreach (var r in await store.RunningRolloutsAsync(ct))
            if (WhyGone(r.Driver, localNodeId, staleAfter ?? StaleAfter, DateTimeOffset.UtcNow) is { } why && await store.AbandonRolloutAsync(r.Id, why, ct))
                ended.Add((r.Id, why));
        return ended;
    }

    /// <summary>The reason the driver is gone, or null while it may still be driving.</summary>
    internal static string? WhyGone(FleetDriverProcess? d, string? localNodeId, TimeSpan staleAfter, DateTimeOffset now)
    {
        if (d is null) return null; // started by an older CicdOps: it wrote no heartbeat to judge by
        // Only where /proc tells: a process of this node (same data directory) whose pid is gone or now another process.
        if (d.NodeId == localNodeId && OperatingSystem.IsLinux() && d.ProcessStartTime != 0
            && !new ProcessIdentity(d.Pid, d.ProcessStartTime).IsAlive)
            return $"driver {d} is gone: its process ended without finishing the rollout";
        if (now - d.SeenAt > staleAfter)
            return $"driver {d} is gone: not heard from since {d.SeenAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z";
        return null;
    }

    /// <summary>This process as a rollout's driver on <paramref name="node"/>.</summary>
    public static FleetDriverProcess Self(NodeIdentity node)
    {
        var me = ProcessIdentity.Current;
        return new FleetDriverProcess { NodeId = node.Id, Node = node.Name, Pid = me.Pid, ProcessStartTime = me.StartTime, SeenAt = DateTimeOffset.UtcNow };
    }
}
