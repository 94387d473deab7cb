using System.Text.Json;
using System.Text.Json.Serialization;

namespace CicdOps.Engine.Notifications;

/// <summary>A channel's parts that are not secret, stored as JSON in notification_channels.settings.</summary>
internal sealed record ChannelSettings
{
    /// <summary>The target as shown (secret parts masked), computed when the URL is set.</summary>
    public string Target { get; init; } = "";
    public string? From { get; init; }
    public List<string> To { get; init; } = [];
    public string? SmtpUser { get; init; }
    public SmtpSecurity? SmtpSecurity { get; init; }
    /// <summary>A PEM file with the certificate(s) to trust for this channel's TLS instead of the system's (a private CA).</summary>
    public string? CaFile { get; init; }

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };
}

/// <summary>A channel's secrets, sealed together: the URL (chat URLs carry their token), the HMAC key, the SMTP password.</summary>
internal sealed record ChannelSecrets
{
    public string Url { get; init; } = "";
    public string? SigningSecret { get; init; }
    public string? Password { get; init; }

    /// <summary>Every value a log line or stored error must never show.</summary>
    public IEnumerable<string> Values()
    {
        yield return Url;
        // The path of a chat URL is its token: mask it on its own too (errors may quote the path without the host).
        if (Uri.TryCreate(Url, UriKind.Absolute, out var u) && u.AbsolutePath.Length > 8) yield return u.AbsolutePath.TrimStart('/');
        if (SigningSecret is not null) yield return SigningSecret;
        if (Password is not null) yield return Password;
    }
}

/// <summary>A channel with its secrets opened, for sending only (never returned to front ends).</summary>
internal sealed record ChannelForSending(string Name, NotificationChannelType Type, ChannelSettings Settings, ChannelSecrets Secrets);

/// <summary>What `notify add` / `notify set` change; null leaves a setting as it is.</summary>
public sealed record NotificationChannelSpec
{
    public NotificationChannelType? Type { get; init; }
    /// <summary>https:// for chat and webhooks (http:// only to loopback), smtp:// (STARTTLS) or smtps:// (TLS) for email.</summary>
    public string? Url { get; init; }
    /// <summary>The generic webhook's HMAC-SHA256 key (required for type Webhook).</summary>
    public string? SigningSecret { get; init; }
    public IReadOnlyList<NotificationEventKind>? Events { get; init; }
    public IReadOnlyList<string>? Projects { get; init; }
    public TimeSpan? MinInterval { get; init; }
    public string? From { get; init; }
    public IReadOnlyList<string>? To { get; init; }
    public string? SmtpUser { get; init; }
    public string? SmtpPassword { get; init; }
    public SmtpSecurity? SmtpSecurity { get; init; }
    /// <summary>A PEM file of certificates to trust for this channel (empty string: back to the system's).</summary>
    public string? CaFile { get; init; }
}
