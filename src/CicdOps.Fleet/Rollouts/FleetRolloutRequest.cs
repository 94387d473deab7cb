namespace CicdOps.Fleet.Rollouts;

/// <summary>What a user asks of the fleet (`cicdops fleet deploy|pin|unpin|rollback`, the Fleet cmdlets).</summary>
public sealed record FleetRolloutRequest
{
    public required string Project { get; init; }
    public FleetAction Action { get; init; }
    public string? Commit { get; init; }
    public bool Waves { get; init; }
    public int WaveSize { get; init; } = 25;
    public bool RollbackOnFailure { get; init; }
    public TimeSpan WaveTimeout { get; init; } = TimeSpan.FromMinutes(10);
    public required string RequestedBy { get; init; }
}
