using CicdOps.Engine.Fleet;

namespace CicdOps.Fleet;

/// <summary>
/// The shared fleet registry, whatever database holds it. Every write is an idempotent upsert keyed by node id
/// (+ project name, deployment id or event sequence), so a node that retries after an outage never duplicates.
/// Staleness is computed when nodes are read (<see cref="FleetNodeStaleness"/>), on the registry's clock where
/// it has one. Implementations are thread-safe.
/// </summary>
public interface IFleetRegistry : IAsyncDisposable
{
    RegistryBackend Backend { get; }

    /// <summary>Creates or upgrades the schema (PostgreSQL) or the indexes (MongoDB); safe to run from many nodes at once.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Upserts the node; its last-seen time becomes "now" (its <see cref="FleetNode.State"/> is ignored).</summary>
    Task PublishNodeAsync(FleetNode node, CancellationToken cancellationToken);

    Task UpsertProjectsAsync(IReadOnlyList<FleetProject> projects, CancellationToken cancellationToken);

    Task RemoveProjectsAsync(string nodeId, IReadOnlyList<string> names, CancellationToken cancellationToken);

    Task UpsertDeploymentsAsync(IReadOnlyList<FleetDeployment> deployments, CancellationToken cancellationToken);

    /// <summary>Adds events; one already stored (same node and sequence) is left as it is.</summary>
    Task AppendEventsAsync(IReadOnlyList<FleetEvent> events, CancellationToken cancellationToken);

    /// <summary>Keeps only the node's <paramref name="deployments"/> newest deployments and <paramref name="events"/> newest events.</summary>
    Task TrimAsync(string nodeId, int deployments, int events, CancellationToken cancellationToken);

    /// <summary>Removes the node with its projects, deployments and events (fleet leave).</summary>
    Task RemoveNodeAsync(string nodeId, CancellationToken cancellationToken);

    /// <summary>Every node and project, and the <paramref name="recent"/> newest deployments and events.</summary>
    Task<FleetSnapshot> GetSnapshotAsync(int recent, CancellationToken cancellationToken);

    /// <summary>
    /// Changes as they are written, from the moment the feed is listening (take a snapshot after the first
    /// MoveNextAsync is pending, or accept a gap); also a Node change when a node turns stale. Ends when cancelled.
    /// </summary>
    IAsyncEnumerable<FleetChange> WatchAsync(CancellationToken cancellationToken);
}
