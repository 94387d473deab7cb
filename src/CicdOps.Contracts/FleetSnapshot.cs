namespace CicdOps;

/// <summary>The whole fleet at one moment, as read from the registry.</summary>
public sealed record FleetSnapshot
{
    public required IReadOnlyList<FleetNode> Nodes { get; init; }
    public required IReadOnlyList<FleetProject> Projects { get; init; }
    /// <summary>Recent deployments, newest first.</summary>
    public required IReadOnlyList<FleetDeployment> Deployments { get; init; }
    /// <summary>Recent events, newest first.</summary>
    public required IReadOnlyList<FleetEvent> Events { get; init; }
    public DateTimeOffset TakenAt { get; init; }
}

/// <summary>
/// One change seen in the registry's feed: which kind of record changed, its key, and the record as it is now
/// (null when it was removed).
/// </summary>
public sealed record FleetChange
{
    public required FleetChangeKind Kind { get; init; }
    public required string NodeId { get; init; }
    /// <summary>The project's name (Project and Deployment changes, and events about a project).</summary>
    public string? Project { get; init; }
    public FleetNode? NodeRecord { get; init; }
    public FleetProject? ProjectRecord { get; init; }
    public FleetDeployment? Deployment { get; init; }
    public FleetEvent? Event { get; init; }
}

public enum FleetChangeKind
{
    Node,
    NodeRemoved,
    Project,
    ProjectRemoved,
    Deployment,
    Event,
}
