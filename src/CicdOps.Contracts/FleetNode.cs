namespace CicdOps;

/// <summary>One server of the fleet as the registry last heard from it.</summary>
public sealed record FleetNode
{
    /// <summary>Stable id, created once in the node's data directory (never changes with the name).</summary>
    public required string Id { get; init; }
    /// <summary>Display name; the hostname unless `fleet join --name` set another.</summary>
    public required string Name { get; init; }
    /// <summary>The CicdOps version the node runs.</summary>
    public required string Version { get; init; }
    /// <summary>When the registry last received a report (the registry's clock where it has one).</summary>
    public DateTimeOffset LastSeen { get; init; }
    /// <summary>How often the node reports; it is stale after <see cref="FleetNodeStaleness.MissedIntervals"/> missed reports.</summary>
    public TimeSpan SyncInterval { get; init; }
    /// <summary>Online, or Stale when it stopped reporting (computed when read).</summary>
    public FleetNodeState State { get; init; }
    public HostStats? Host { get; init; }
}

/// <summary>Host figures a node reports with each sync.</summary>
public sealed record HostStats
{
    /// <summary>Whole-host CPU use since the previous report, 0–100 (null on the first report).</summary>
    public double? CpuPercent { get; init; }
    public long MemoryTotalBytes { get; init; }
    public long MemoryAvailableBytes { get; init; }
    /// <summary>Free space of the file system holding the data directory.</summary>
    public long DataDiskFreeBytes { get; init; }
    /// <summary>1-minute load average.</summary>
    public double Load1 { get; init; }
}

public enum FleetNodeState
{
    Online,
    /// <summary>Missed <see cref="FleetNodeStaleness.MissedIntervals"/> reports in a row.</summary>
    Stale,
}

public static class FleetNodeStaleness
{
    public const int MissedIntervals = 3;

    /// <summary>Stale when more than 3 sync intervals passed since the last report.</summary>
    public static FleetNodeState StateAt(DateTimeOffset lastSeen, TimeSpan interval, DateTimeOffset now) =>
        now - lastSeen > interval * MissedIntervals ? FleetNodeState.Stale : FleetNodeState.Online;
}
