namespace CicdOps.Server.Api;

/// <summary>How the /api endpoints stream and bound themselves.</summary>
public sealed record ApiOptions
{
    /// <summary>A comment line on every open stream this often, so proxies and clients see a live connection.</summary>
    public TimeSpan Heartbeat { get; init; } = TimeSpan.FromSeconds(15);
    /// <summary>
    /// Events queued for one stream client at most. A client that falls this far behind is disconnected (and may
    /// resume with Last-Event-ID): one slow reader must never grow the listener's memory.
    /// </summary>
    public int ClientQueue { get; init; } = 256;
    /// <summary>Recent events kept for Last-Event-ID resume; an older id gets the current fleet instead.</summary>
    public int ReplayEvents { get; init; } = 4096;
    /// <summary>Open streams at most; more are answered 503.</summary>
    public int MaxStreams { get; init; } = 1000;
}
