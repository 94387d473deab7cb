namespace CicdOps.Fleet;

/// <summary>
/// Fleet actions in the registry: rollouts and their per-node requests. The session that starts a rollout writes it and
/// drives its waves (<see cref="Rollouts.FleetRolloutDriver"/>); each node's listener takes the requests addressed to it
/// (<see cref="Rollouts.FleetRequestRunner"/>), runs them through its own engine and reports the outcome. A request moves
/// Waiting → Requested (driver) → Running (the node claims it, once) → Succeeded/Failed (the node), or TimedOut/Skipped
/// (driver); each move is conditional on the status before it, so a node never runs a request the driver gave up on.
/// </summary>
public interface IFleetRolloutStore
{
    /// <summary>Records a new rollout with its targets (all Waiting).</summary>
    Task CreateRolloutAsync(FleetRollout rollout, CancellationToken cancellationToken);

    /// <summary>
    /// Writes targets as given (insert or replace: the driver asks a wave, adds reverts, times out or skips), and tells
    /// the nodes of those that are now Requested. A target the node finished meanwhile is left as the node reported it.
    /// </summary>
    Task SaveTargetsAsync(IReadOnlyList<FleetRolloutTarget> targets, CancellationToken cancellationToken);

    /// <summary>Running → <paramref name="status"/> (a rollout already ended, e.g. abandoned meanwhile, stays as it ended).</summary>
    Task FinishRolloutAsync(string rolloutId, FleetRolloutStatus status, string? reason, CancellationToken cancellationToken);

    /// <summary>The driver's heartbeat: sets its SeenAt while the rollout is Running.</summary>
    Task TouchDriverAsync(string rolloutId, DateTimeOffset seenAt, CancellationToken cancellationToken);

    /// <summary>
    /// Running → Abandoned with <paramref name="reason"/>, and its Waiting and Requested targets → Skipped (a node never
    /// claims them then); Running targets are left for their nodes to report. False when it was no longer Running.
    /// </summary>
    Task<bool> AbandonRolloutAsync(string rolloutId, string reason, CancellationToken cancellationToken);

    /// <summary>Every rollout still Running (with its driver), oldest first.</summary>
    Task<IReadOnlyList<FleetRollout>> RunningRolloutsAsync(CancellationToken cancellationToken);

    /// <summary>The requests waiting for this node (status Requested), oldest first.</summary>
    Task<IReadOnlyList<FleetRolloutTarget>> PendingRequestsAsync(string nodeId, CancellationToken cancellationToken);

    /// <summary>Requested → Running with the commit the node serves now; false when it is no longer Requested (timed out, skipped, taken).</summary>
    Task<bool> ClaimAsync(FleetRolloutTarget target, string? previousCommit, CancellationToken cancellationToken);

    /// <summary>Running → the target's final status, result commit, deployment and reason; false when it is no longer Running.</summary>
    Task<bool> ReportAsync(FleetRolloutTarget target, CancellationToken cancellationToken);

    Task<FleetRollout?> GetRolloutAsync(string rolloutId, CancellationToken cancellationToken);

    /// <summary>The newest rollouts (with their targets), optionally of one project.</summary>
    Task<IReadOnlyList<FleetRollout>> GetRolloutsAsync(string? project, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Yields whenever a request for <paramref name="nodeId"/> may have been written (PostgreSQL: NOTIFY; MongoDB: a
    /// change stream, or a poll every second). Callers still read <see cref="PendingRequestsAsync"/> on a timer too.
    /// </summary>
    IAsyncEnumerable<bool> WatchRequestsAsync(string nodeId, CancellationToken cancellationToken);
}
