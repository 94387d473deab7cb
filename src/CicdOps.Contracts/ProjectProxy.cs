namespace CicdOps;

/// <summary>
/// A project's zero-downtime switch: the app alternates between two ports, and the reverse proxy in front is
/// pointed at the new one (nginx: an upstream file CicdOps owns, then `nginx -t` and `nginx -s reload`; Caddy: the
/// upstreams of a named reverse_proxy handler through its admin API) only once the
/// new release is healthy; the old app drains for <see cref="DrainPeriod"/> and is stopped.
/// </summary>
public sealed record ProjectProxy
{
    public required string Project { get; init; }
    public ProxyKind Kind { get; init; } = ProxyKind.Nginx;
    public required int FirstPort { get; init; }
    public required int SecondPort { get; init; }
    /// <summary>nginx: the file CicdOps writes (`server 127.0.0.1:PORT;`), included by an upstream block of the nginx configuration; "" with Caddy.</summary>
    public string UpstreamFile { get; init; } = "";
    /// <summary>Caddy: its admin API (loopback only, e.g. http://127.0.0.1:2019); null with nginx.</summary>
    public string? CaddyAdmin { get; init; }
    /// <summary>Caddy: the `@id` of the reverse_proxy handler whose upstreams CicdOps replaces at each switch.</summary>
    public string? CaddyRoute { get; init; }
    /// <summary>The nginx program CicdOps runs (as root) for `-t` and `-s reload`.</summary>
    public string Nginx { get; init; } = ProxyDefaults.Nginx;
    /// <summary>nginx's main configuration (`-c`); null: nginx's compiled-in default.</summary>
    public string? NginxConfig { get; init; }
    /// <summary>How long the old app keeps running after the switch, so requests it is serving finish.</summary>
    public TimeSpan DrainPeriod { get; init; } = ProxyDefaults.DrainPeriod;
    /// <summary>The port the proxy points at now; null before the first switch.</summary>
    public int? ActivePort { get; init; }

    /// <summary>The port the next release starts on: the one the proxy does not point at.</summary>
    public int IdlePort => ActivePort == FirstPort ? SecondPort : FirstPort;
}

public enum ProxyKind { Nginx, Caddy }

public static class ProxyDefaults
{
    public const string Nginx = "/usr/sbin/nginx";
    public static readonly TimeSpan DrainPeriod = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan MaxDrainPeriod = TimeSpan.FromMinutes(10);
}
