namespace CicdOps.Engine.Model;

/// <summary>What a user gives to put a project behind nginx with a zero-downtime switch. Validated by the engine.</summary>
public sealed record ProxySpec
{
    /// <summary>Exactly two ports; the app alternates between them.</summary>
    public IReadOnlyList<int> Ports { get; init; } = Array.Empty<int>();
    /// <summary>The upstream include file CicdOps owns (absolute; its directory root's and not writable by others).</summary>
    public required string UpstreamFile { get; init; }
    public string? Nginx { get; init; }
    public string? NginxConfig { get; init; }
    public TimeSpan? DrainPeriod { get; init; }
    /// <summary>Consent to ports below 1024.</summary>
    public bool AllowPrivilegedPort { get; init; }
}
