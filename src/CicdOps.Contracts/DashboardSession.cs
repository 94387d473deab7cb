namespace CicdOps;

/// <summary>What a dashboard user may do: Viewer reads, Operator also acts (deploy, cancel, pin, unpin, roll back).</summary>
public enum DashboardRole { Viewer, Operator }

/// <summary>A dashboard session as listed: never its cookie (only a SHA-256 hash of it is stored).</summary>
public sealed record DashboardSession
{
    public required long Id { get; init; }
    public DashboardRole Role { get; init; }
    /// <summary>The one-time login link that opened it.</summary>
    public long? LoginId { get; init; }
    /// <summary>The browser's address and user agent when the link was opened (for recognising a session to revoke).</summary>
    public string? Client { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset ExpiresAt { get; init; }
    /// <summary>Last request seen with it (updated at most once a minute).</summary>
    public DateTimeOffset? LastSeenAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }

    public bool IsRevoked => RevokedAt is not null;
    public bool IsActiveAt(DateTimeOffset now) => RevokedAt is null && ExpiresAt > now;
    /// <summary>How actions taken in this session are recorded ("dashboard:session-ID").</summary>
    public string Actor => $"dashboard:session-{Id}";
}

/// <summary>A one-time login link just created: <see cref="Token"/> is shown this once; it opens one session.</summary>
public sealed record DashboardLogin
{
    public required long Id { get; init; }
    public DashboardRole Role { get; init; }
    public DateTimeOffset ExpiresAt { get; init; }
    /// <summary>The secret part of the link (the path after /login/).</summary>
    public required string Token { get; init; }
    /// <summary>The path to open on the listener: /login/TOKEN.</summary>
    public string Path => "/login/" + Token;
    /// <summary>The whole link (the dashboard's base URL and <see cref="Path"/>), when the front end knows the base.</summary>
    public string? Url { get; init; }
}
