using System.Text.RegularExpressions;
using CicdOps.Engine.Api;
using CicdOps.Engine.State;

namespace CicdOps.Engine;

/// <summary>API tokens: what authenticates requests to the listener's /api endpoints (fleet snapshot and stream).</summary>
public sealed partial class CicdEngine
{
    private static readonly Regex TokenName = new(@"\A[A-Za-z0-9][A-Za-z0-9._-]{0,63}\z", RegexOptions.CultureInvariant);
    // last_used_at is a hint, not an audit log: one write a minute per token at most keeps the stream's reconnects cheap.
    private static readonly TimeSpan TouchEvery = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Creates a token; its value is in the result and nowhere else (only a hash of it is stored). The name defaults
    /// to "token-ID"; <paramref name="expiresAt"/> null means it never expires.
    /// </summary>
    public NewApiToken CreateApiToken(ApiTokenScope scope, string? name = null, DateTimeOffset? expiresAt = null)
    {
        if (!Enum.IsDefined(scope)) throw new CicdException(CicdError.InvalidArgument, $"Unknown scope '{scope}'; use Read or Operate.", scope);
        if (name is not null && !TokenName.IsMatch(name))
            throw new CicdException(CicdError.InvalidArgument, $"Token name '{Listener.ListenerLog.Clean(name)}' is not valid: use letters, digits, '.', '_' or '-' (at most 64).", name);
        var now = DateTimeOffset.UtcNow;
        if (expiresAt is { } e && e <= now) throw new CicdException(CicdError.InvalidArgument, "The expiry must be in the future.", expiresAt);
        var secret = ApiTokenFormat.NewSecret();
        var info = _ctx.Db.Write(c =>
        {
            var chosen = name ?? "token-" + ((long)(c.Scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM api_tokens") ?? 1L));
            if (ApiTokenStore.NameExists(c, chosen)) throw new CicdException(CicdError.ApiTokenExists, $"A token named '{chosen}' already exists.", chosen);
            return ApiTokenStore.Insert(c, chosen, scope, ApiTokenFormat.Hash(secret), now, expiresAt);
        });
        return new NewApiToken { Info = info, Token = ApiTokenFormat.Compose(info.Id, secret) };
    }

    /// <summary>Every token, revoked and expired ones included (never their values).</summary>
    public IReadOnlyList<ApiToken> GetApiTokens() => _ctx.Db.Read(ApiTokenStore.List);

    /// <summary>Revokes a token by name or id; requests with it are 401 from then on. Revoking twice is harmless.</summary>
    public ApiToken RevokeApiToken(string nameOrId)
    {
        ArgumentNullException.ThrowIfNull(nameOrId);
        return _ctx.Db.Write(c =>
        {
            var t = ApiTokenStore.GetByName(c, nameOrId)
                ?? (long.TryParse(nameOrId, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) ? ApiTokenStore.Get(c, id) : null)
                ?? throw new CicdException(CicdError.ApiTokenNotFound, $"No API token named or numbered '{Listener.ListenerLog.Clean(nameOrId)}'.", nameOrId);
            ApiTokenStore.Revoke(c, t.Id, DateTimeOffset.UtcNow);
            return ApiTokenStore.Get(c, t.Id)!;
        });
    }

    /// <summary>
    /// The token a request presented, when it is valid now (known, not revoked, not expired); null otherwise. Never
    /// throws for a bad token, and says nothing about why it was refused.
    /// </summary>
    public ApiToken? AuthenticateApiToken(string? presented)
    {
        if (!ApiTokenFormat.TryParse(presented, out var id, out var secret)) return null;
        var found = _ctx.Db.Read(c => ApiTokenStore.GetForCheck(c, id));
        if (found is not { } f || !ApiTokenFormat.Matches(secret, f.Hash)) return null;
        var now = DateTimeOffset.UtcNow;
        if (f.Token.IsRevoked || f.Token.IsExpiredAt(now)) return null;
        if (f.Token.LastUsedAt is not { } used || now - used > TouchEvery)
            _ctx.Db.Write(c => ApiTokenStore.Touch(c, id, now));
        return f.Token;
    }
}
