namespace CicdOps.Engine.Fleet;

/// <summary>This node's fleet settings as safe to show: the registry's URI is masked, never the stored one.</summary>
public sealed record FleetMembership
{
    public required RegistryBackend Backend { get; init; }
    /// <summary>The registry URI with its credentials replaced by ***.</summary>
    public required string Registry { get; init; }
    public required string NodeName { get; init; }
    public required TimeSpan SyncInterval { get; init; }
    public required DateTimeOffset JoinedAt { get; init; }

    public static readonly TimeSpan DefaultSyncInterval = TimeSpan.FromSeconds(5);
}
