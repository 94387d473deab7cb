namespace CicdOps;

/// <summary>A deployment as published to the fleet registry (keyed by node id + the node's deployment id).</summary>
public sealed record FleetDeployment
{
    public required string NodeId { get; init; }
    public required string Node { get; init; }
    /// <summary>The deployment's id on its node.</summary>
    public required long Id { get; init; }
    public required string Project { get; init; }
    public string? Commit { get; init; }
    public DeploymentTrigger Trigger { get; init; }
    public DeploymentStatus Status { get; init; }
    public string? Reason { get; init; }
    public DateTimeOffset QueuedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
}

/// <summary>Something that happened on a node (keyed by node id + sequence; sequences grow per node).</summary>
public sealed record FleetEvent
{
    public required string NodeId { get; init; }
    public required string Node { get; init; }
    public required long Sequence { get; init; }
    public DateTimeOffset At { get; init; }
    public string? Project { get; init; }
    public FleetEventKind Kind { get; init; }
    public required string Message { get; init; }
}

public enum FleetEventKind
{
    NodeJoined,
    ProjectAdded,
    ProjectRemoved,
    ProjectStatusChanged,
    DeploymentQueued,
    DeploymentStarted,
    DeploymentFinished,
    /// <summary>The watchdog found the app dead or unhealthy (from the node's event log).</summary>
    AppUnhealthy,
    /// <summary>The watchdog is restarting the app (its restart is a deployment with trigger Watchdog).</summary>
    AppRestarting,
    /// <summary>The app is healthy again after a watchdog restart.</summary>
    AppRecovered,
    /// <summary>The watchdog stopped restarting the app after too many failed restarts.</summary>
    WatchdogGaveUp,
}
