using System.Net;

namespace CicdOps.Engine.Listener;

/// <summary>How the webhook listener binds, authenticates and protects itself. Defaults are the safe ones.</summary>
public sealed record ListenerOptions
{
    public const int DefaultPort = 9641;
    /// <summary>Bind address meaning "every interface".</summary>
    public const string AllInterfaces = "+";

    public int Port { get; init; } = DefaultPort;
    /// <summary>"+" (all interfaces, the default), or an IP address / host name such as 127.0.0.1.</summary>
    public string BindAddress { get; init; } = AllInterfaces;
    /// <summary>The global webhook secret (HMAC key, or GitLab token); null when none is set.</summary>
    public byte[]? Secret { get; init; }
    /// <summary>A project's own secret, which overrides <see cref="Secret"/>; null when it has none.</summary>
    public Func<string, byte[]?>? ProjectSecret { get; init; }
    /// <summary>Accept unsigned deliveries for projects without any secret, even on a public interface.</summary>
    public bool AllowUnsigned { get; init; }
    public long MaxBodyBytes { get; init; } = 25L * 1024 * 1024;
    /// <summary>How long a client may take to send its body before the connection is cut.</summary>
    public TimeSpan BodyTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public int MaxConcurrentRequests { get; init; } = 64;
    /// <summary>How long a request may wait for a free slot before it is answered 503.</summary>
    public TimeSpan QueueTimeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>Where one-line log events go; null writes them to stdout.</summary>
    public Action<string>? Log { get; init; }

    public bool IsLoopback =>
        BindAddress.Equals("localhost", StringComparison.OrdinalIgnoreCase) ||
        (IPAddress.TryParse(BindAddress.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    /// <summary>Unsigned deliveries are accepted only when nobody else can reach the listener, or when asked for.</summary>
    public bool AcceptsUnsigned => AllowUnsigned || IsLoopback;

    /// <summary>The HttpListener prefix, e.g. http://+:9641/ or http://127.0.0.1:9641/.</summary>
    public string Prefix
    {
        get
        {
            var host = BindAddress is AllInterfaces or "*" ? AllInterfaces
                : IPAddress.TryParse(BindAddress.Trim('[', ']'), out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
                    ? "[" + ip + "]" : BindAddress;
            return $"http://{host}:{Port}/";
        }
    }

    /// <summary>Null when the options can be used; otherwise the one-line reason the listener must not start.</summary>
    public string? Validate()
    {
        if (Port is < 1 or > 65535) return $"Port {Port} is not between 1 and 65535.";
        if (string.IsNullOrWhiteSpace(BindAddress) ||
            (BindAddress is not (AllInterfaces or "*") && !IPAddress.TryParse(BindAddress.Trim('[', ']'), out _) &&
             Uri.CheckHostName(BindAddress) != UriHostNameType.Dns))
            return "The bind address must be '+', an IP address or a host name.";
        if (MaxBodyBytes <= 0) return "The maximum body size must be positive.";
        if (BodyTimeout <= TimeSpan.Zero || QueueTimeout <= TimeSpan.Zero) return "Timeouts must be positive.";
        if (MaxConcurrentRequests < 1) return "At least one concurrent request must be allowed.";
        // Per-project secrets alone are enough: a project without one then refuses unsigned deliveries.
        if ((Secret is null || Secret.Length == 0) && ProjectSecret is null && !AcceptsUnsigned)
            return $"Refusing to accept unsigned webhooks on {BindAddress}: set a webhook secret, bind to 127.0.0.1, or allow unsigned deliveries explicitly.";
        return null;
    }
}
