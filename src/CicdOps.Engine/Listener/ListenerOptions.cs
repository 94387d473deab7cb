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
    /// <summary>The global webhook secret: the HMAC key for GitHub, Gitea, Forgejo and Bitbucket. Null when none is set.</summary>
    public byte[]? Secret { get; init; }
    /// <summary>
    /// The token GitLab sends (in clear, in X-Gitlab-Token). Separate from <see cref="Secret"/> on purpose: a value
    /// that crosses the network in clear must not also be the HMAC key that signs the other providers' deliveries.
    /// </summary>
    public byte[]? GitLabToken { get; init; }
    /// <summary>A project's own secret, which overrides <see cref="Secret"/> (and <see cref="GitLabToken"/>); null when it has none.</summary>
    public Func<string, byte[]?>? ProjectSecret { get; init; }
    /// <summary>Accept unsigned deliveries for projects without any secret. Never implied, not even on loopback (behind a proxy everything arrives there).</summary>
    public bool AllowUnsigned { get; init; }
    /// <summary>PEM certificate (chain) for TLS; with <see cref="TlsKeyFile"/>. Re-read when it changes.</summary>
    public string? TlsCertificateFile { get; init; }
    public string? TlsKeyFile { get; init; }
    public long MaxBodyBytes { get; init; } = 25L * 1024 * 1024;
    /// <summary>How long a client may take to send its body before the connection is cut.</summary>
    public TimeSpan BodyTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>How long a client may take to send its request headers.</summary>
    public TimeSpan HeaderTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>A body arriving slower than this (after a 5 s grace) is cut.</summary>
    public double MinBodyBytesPerSecond { get; init; } = 1024;
    /// <summary>Open connections at most; more wait in the kernel's backlog.</summary>
    public long MaxConnections { get; init; } = 1024;
    /// <summary>
    /// Memory all bodies being read may hold together. Bodies up to <see cref="SmallBodyBytes"/> (every usual push)
    /// draw on their own share, so a flood of large bodies cannot starve genuine deliveries; when a share is spent,
    /// a body is answered 503 before it is read.
    /// </summary>
    public long BodyMemoryBudget { get; init; } = 128L * 1024 * 1024;
    public long SmallBodyBytes { get; init; } = 1024 * 1024;
    /// <summary>Deliveries being verified and recorded at once (bodies are read before a slot is taken).</summary>
    public int MaxConcurrentRequests { get; init; } = 64;
    /// <summary>How long a read body may wait for a free slot before it is answered 503.</summary>
    public TimeSpan QueueTimeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>Recorded deliveries older than this are pruned by the running service (null: kept by age).</summary>
    public TimeSpan? DeliveryRetention { get; init; } = TimeSpan.FromDays(30);
    /// <summary>At most this many recorded deliveries are kept, newest first (null: no row limit).</summary>
    public int? DeliveryRetentionRows { get; init; } = 100_000;
    /// <summary>The bound on the WAL under sustained load; the writer resets it from a quarter of this on, waiting if it must from half (tests make it small).</summary>
    internal long MaxWalBytes { get; init; } = State.WalCheckpointer.DefaultMaxWalBytes;
    /// <summary>Where one-line log events go; null writes them to stdout.</summary>
    public Action<string>? Log { get; init; }

    public bool IsLoopback =>
        BindAddress.Equals("localhost", StringComparison.OrdinalIgnoreCase) ||
        (IPAddress.TryParse(BindAddress.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    /// <summary>Unsigned deliveries are accepted only when asked for, wherever the listener binds.</summary>
    public bool AcceptsUnsigned => AllowUnsigned;

    public bool UsesTls => TlsCertificateFile is not null;

    /// <summary>The URL prefix, e.g. http://+:9641/ or https://127.0.0.1:9641/.</summary>
    public string Prefix
    {
        get
        {
            var host = BindAddress is AllInterfaces or "*" ? AllInterfaces
                : IPAddress.TryParse(BindAddress.Trim('[', ']'), out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
                    ? "[" + ip + "]" : BindAddress;
            return $"{(UsesTls ? "https" : "http")}://{host}:{Port}/";
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
        if (BodyTimeout <= TimeSpan.Zero || QueueTimeout <= TimeSpan.Zero || HeaderTimeout <= TimeSpan.Zero) return "Timeouts must be positive.";
        if (MaxConcurrentRequests < 1 || MaxConnections < 1) return "At least one concurrent request must be allowed.";
        if (BodyMemoryBudget < 2 * SmallBodyBytes || SmallBodyBytes <= 0) return "The body memory budget must hold at least two small bodies.";
        if (DeliveryRetention is { } keepFor && keepFor <= TimeSpan.Zero) return "The delivery retention must be positive.";
        if (DeliveryRetentionRows is < 1) return "The number of deliveries kept must be positive.";
        if ((TlsCertificateFile is null) != (TlsKeyFile is null)) return "TLS needs both a certificate file and a key file.";
        if (Secret is { Length: > 0 } s && GitLabToken is { Length: > 0 } t && s.AsSpan().SequenceEqual(t))
            return "The GitLab token must differ from the webhook secret: GitLab sends its token in clear, so it must not also be the signing key.";
        // Per-project secrets alone are enough: a project without one then refuses unsigned deliveries.
        if ((Secret is null || Secret.Length == 0) && (GitLabToken is null || GitLabToken.Length == 0) && ProjectSecret is null && !AllowUnsigned)
            return $"Refusing to accept unsigned webhooks on {BindAddress}: set a webhook secret, or allow unsigned deliveries explicitly.";
        return null;
    }
}
