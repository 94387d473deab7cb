namespace CicdOps;

/// <summary>Something the listener's watchdog saw or did, recorded in the node's database (ids grow: read on with an after-id cursor).</summary>
public sealed record CicdEvent
{
    public required long Id { get; init; }
    public required string Project { get; init; }
    public DateTimeOffset At { get; init; }
    public CicdEventKind Kind { get; init; }
    /// <summary>What happened and why, in one line.</summary>
    public required string Message { get; init; }
    /// <summary>The watchdog restart (deployment) this event is about, when there is one.</summary>
    public long? DeploymentId { get; init; }
}

public enum CicdEventKind
{
    /// <summary>The app died or its health check failed; the project is Unhealthy.</summary>
    Unhealthy,
    /// <summary>The watchdog queued a restart of the serving commit (after its backoff delay).</summary>
    Restarting,
    /// <summary>A restart brought the app back; the project is Healthy.</summary>
    Recovered,
    /// <summary>A restart did not bring the app back (the watchdog tries again after a longer delay).</summary>
    RestartFailed,
    /// <summary>Too many restarts failed in a row: the watchdog stopped trying; the project is Failed until deployed again.</summary>
    GaveUp,
    /// <summary>Someone acted through the API or the dashboard (deploy, cancel, pin, unpin, rollback); the message names who.</summary>
    Operator,
}
