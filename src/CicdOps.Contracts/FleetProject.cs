namespace CicdOps;

/// <summary>One project on one node, as published to the fleet registry (keyed by node id + name).</summary>
public sealed record FleetProject
{
    public required string NodeId { get; init; }
    /// <summary>The node's name when it published this (for display; <see cref="NodeId"/> is the key).</summary>
    public required string Node { get; init; }
    public required string Name { get; init; }
    public required string Repository { get; init; }
    public required string Branch { get; init; }
    public ProjectStatus Status { get; init; }
    /// <summary>The commit serving now.</summary>
    public string? Commit { get; init; }
    public string? LastGoodCommit { get; init; }
    public string? PinnedCommit { get; init; }
    public FleetHealth Health { get; init; }
    /// <summary>App CPU use, 0–100 of one core × cores (null until telemetry reports it).</summary>
    public double? CpuPercent { get; init; }
    /// <summary>App resident memory (null until telemetry reports it).</summary>
    public long? MemoryBytes { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    public bool IsPinned => PinnedCommit is not null;
}

public enum FleetHealth
{
    Unknown,
    Healthy,
    Unhealthy,
}
