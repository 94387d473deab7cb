namespace CicdOps;

/// <summary>What the listener's sampler last read for every project's app and for the host.</summary>
public sealed record TelemetrySnapshot
{
    public DateTimeOffset SampledAt { get; init; }
    /// <summary>How often the sampler runs.</summary>
    public TimeSpan Interval { get; init; }
    public required HostStats Host { get; init; }
    /// <summary>Per project, by name.</summary>
    public required IReadOnlyList<AppStats> Apps { get; init; }
}

/// <summary>One project's app at one sample.</summary>
public sealed record AppStats
{
    public required string Project { get; init; }
    public ProjectStatus Status { get; init; }
    public AppHealth Health { get; init; }
    /// <summary>The commit serving (null: nothing deployed).</summary>
    public string? Commit { get; init; }
    /// <summary>Processes in the app's unit (its cgroup, or its process group without cgroups).</summary>
    public int Processes { get; init; }
    /// <summary>CPU used since the previous sample, % of one core (can pass 100 on several cores); null on the first sample and when nothing runs.</summary>
    public double? CpuPercent { get; init; }
    /// <summary>Resident memory of all its processes.</summary>
    public long MemoryBytes { get; init; }
    /// <summary>TCP ports its processes listen on, ascending.</summary>
    public IReadOnlyList<int> ListeningPorts
    {
        get => _ports;
        init => _ports = new ValueList<int>(value ?? Array.Empty<int>());
    }

    private readonly ValueList<int> _ports = ValueList<int>.Empty;
    /// <summary>Since the tracked app process started (null when it is not running).</summary>
    public TimeSpan? Uptime { get; init; }
    /// <summary>Watchdog restarts since the last deployment that was not one.</summary>
    public int Restarts { get; init; }
    /// <summary>Free space of the file system holding the project's path (null when it does not exist yet).</summary>
    public long? PathFreeBytes { get; init; }
    /// <summary>What the watchdog's last health check said, when it failed.</summary>
    public string? LastHealthFailure { get; init; }
}

public enum AppHealth
{
    /// <summary>Not deployed, deploying, or stopped: nothing to judge.</summary>
    Unknown,
    Healthy,
    /// <summary>Dead or failing its health check (the watchdog is restarting it, or gave up).</summary>
    Unhealthy,
}
