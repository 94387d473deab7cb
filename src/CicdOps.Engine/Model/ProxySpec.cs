namespace CicdOps.Engine.Model;

/// <summary>What a user gives to put a project behind nginx or Caddy with a zero-downtime switch. Validated by the engine.</summary>
public sealed record ProxySpec
{
    /// <summary>Exactly two ports; the app alternates between them.</summary>
    public IReadOnlyList<int> Ports { get; init; } = Array.Empty<int>();
    /// <summary>nginx: the upstream include file CicdOps owns (absolute; its directory root's and not writable by others).</summary>
    public string? UpstreamFile { get; init; }
    /// <summary>Caddy instead of nginx: its admin API, loopback only (http://127.0.0.1:2019); with <see cref="CaddyRoute"/>.</summary>
    public string? CaddyAdmin { get; init; }
    /// <summary>Caddy: the `@id` of the reverse_proxy handler to point at the new port.</summary>
    public string? CaddyRoute { get; init; }
    public string? Nginx { get; init; }
    public string? NginxConfig { get; init; }
    public TimeSpan? DrainPeriod { get; init; }
    /// <summary>Consent to ports below 1024.</summary>
    public bool AllowPrivilegedPort { get; init; }
}
