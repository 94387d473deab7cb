namespace CicdOps;

/// <summary>An API token as listed: never its value (only a SHA-256 hash of it is stored).</summary>
public sealed record ApiToken
{
    public required long Id { get; init; }
    public required string Name { get; init; }
    public ApiTokenScope Scope { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    /// <summary>Null: never expires.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }
    /// <summary>Last time a request authenticated with it (updated at most once a minute).</summary>
    public DateTimeOffset? LastUsedAt { get; init; }

    public bool IsRevoked => RevokedAt is not null;
    public bool IsExpiredAt(DateTimeOffset now) => ExpiresAt is { } e && e <= now;
}

/// <summary>A token just created: <see cref="Token"/> is shown this once and can never be read back.</summary>
public sealed record NewApiToken
{
    public required ApiToken Info { get; init; }
    /// <summary>The bearer token (send it as `Authorization: Bearer TOKEN`).</summary>
    public required string Token { get; init; }
    public long Id => Info.Id;
    public string Name => Info.Name;
    public ApiTokenScope Scope => Info.Scope;
    public DateTimeOffset? ExpiresAt => Info.ExpiresAt;
}

/// <summary>What a token allows. Operate includes Read.</summary>
public enum ApiTokenScope
{
    /// <summary>Read the fleet (snapshot and stream).</summary>
    Read,
    /// <summary>Read, and act on the fleet (deploy, pin, roll back).</summary>
    Operate,
}
