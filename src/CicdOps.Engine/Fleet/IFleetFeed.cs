namespace CicdOps.Engine.Fleet;

/// <summary>
/// What a fleet watcher reads: the fleet now, and its changes as they happen, as <see cref="FleetUpdate"/> rows.
/// With a registry it is the registry's; without, this server's own state. Implemented in CicdOps.Fleet
/// (<c>FleetWatcher</c>); declared here so the HTTP server and the front ends need no driver types.
/// </summary>
public interface IFleetFeed : IAsyncDisposable
{
    /// <summary>Where the data comes from, for log lines (a masked registry URI, or "this server").</summary>
    string Source { get; }

    /// <summary>One row per node and one per project on it.</summary>
    Task<IReadOnlyList<FleetUpdate>> SnapshotAsync(CancellationToken cancellationToken);

    /// <summary>Changes from the moment of the call until cancelled; survives registry outages by reconnecting.</summary>
    IAsyncEnumerable<FleetUpdate> WatchAsync(CancellationToken cancellationToken);
}
