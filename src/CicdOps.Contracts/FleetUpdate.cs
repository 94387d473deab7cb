namespace CicdOps;

/// <summary>
/// One line of a fleet watch: a node or a project on a node as it is now, or an event that happened there. What
/// `Watch-CicdFleet`, `cicdops fleet watch` and `GET /api/stream/fleet` all emit. CPU, memory and health come from
/// what the node publishes (app telemetry fills CpuPercent/MemoryBytes where the node samples them).
/// </summary>
public sealed record FleetUpdate
{
    public required FleetUpdateKind Kind { get; init; }
    /// <summary>The node's display name.</summary>
    public required string Node { get; init; }
    public required string NodeId { get; init; }
    /// <summary>Online or Stale (for every kind: the node's state as last known to the watcher).</summary>
    public FleetNodeState NodeState { get; init; }
    /// <summary>The project, for Project, ProjectRemoved, Deployment and project events; null for node rows.</summary>
    public string? Project { get; init; }
    public ProjectStatus? Status { get; init; }
    /// <summary>The commit serving (Project) or being deployed (Deployment).</summary>
    public string? Commit { get; init; }
    public FleetHealth Health { get; init; }
    /// <summary>App CPU % (Project) or host CPU % (Node); null until telemetry reports it.</summary>
    public double? CpuPercent { get; init; }
    /// <summary>App resident memory (Project) or host memory in use (Node); null until reported.</summary>
    public long? MemoryBytes { get; init; }
    /// <summary>What happened, in words (events and deployments); null for plain state rows.</summary>
    public string? Event { get; init; }
    public FleetEventKind? EventKind { get; init; }
    public long? DeploymentId { get; init; }
    public DeploymentStatus? DeploymentStatus { get; init; }
    public DateTimeOffset At { get; init; }
}

public enum FleetUpdateKind
{
    Node,
    NodeRemoved,
    Project,
    ProjectRemoved,
    Deployment,
    Event,
}
