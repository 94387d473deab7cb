using Microsoft.AspNetCore.Http;

namespace CicdOps.Server.Api;

/// <summary>
/// Who may call the /api endpoints: a request with `Authorization: Bearer TOKEN` for a valid token of the needed
/// scope (Operate includes Read). A token in the URL is refused outright, valid or not: URLs end up in proxy logs,
/// browser history and Referer headers. Reusable by any endpoint the listener adds (the dashboard's too).
/// </summary>
public sealed partial class BearerAuthenticator(Func<string?, ApiToken?> authenticate)
{
    /// <summary>Query parameter names that look like a credential: their presence alone refuses the request.</summary>
    private static readonly string[] CredentialLike = ["token", "access_token", "bearer", "auth", "authorization", "api_key", "apikey", "key"];

    public AuthResult Check(HttpContext context, ApiTokenScope needed)
    {
        if (TokenInUrl(context) is { } refused) return refused;
        var headers = context.Request.Headers.Authorization;
        if (headers.Count != 1) return AuthResult.Refused(401, "no-token", "send Authorization: Bearer TOKEN (create one with `cicdops token create --scope read`)");
        var value = headers[0] ?? "";
        const string scheme = "Bearer ";
        if (!value.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return AuthResult.Refused(401, "not-bearer", "only Bearer tokens are accepted");
        var token = authenticate(value[scheme.Length..].Trim());
        // One answer for unknown, revoked, expired and malformed tokens: a caller learns nothing about which.
        if (token is null) return AuthResult.Refused(401, "invalid-token", "invalid, revoked or expired token");
        if (needed == ApiTokenScope.Operate && token.Scope != ApiTokenScope.Operate) return AuthResult.Refused(403, "scope", "this token's scope is read; this needs operate");
        return new AuthResult(token, 200, null, null);
    }
}

public sealed partial class BearerAuthenticator
{
    /// <summary>The refusal for a request carrying anything credential-like in its query string (null when clean).</summary>
    public static AuthResult? TokenInUrl(HttpContext context)
    {
        foreach (var key in context.Request.Query.Keys)
            if (CredentialLike.Contains(key, StringComparer.OrdinalIgnoreCase) || context.Request.Query[key].Any(v => v is not null
                    && (v.StartsWith(CicdOps.Engine.Api.ApiTokenFormat.Prefix, StringComparison.Ordinal)
                        || v.StartsWith(CicdOps.Engine.Api.SecretTokenFormat.Session.Prefix, StringComparison.Ordinal))))
                return AuthResult.Refused(400, "token-in-url", "a token is never accepted in the URL; send it as the Authorization: Bearer header");
        return null;
    }
}

/// <summary>The outcome: the token, or the status, a short code for the log and the reason told to the caller.</summary>
public sealed record AuthResult(ApiToken? Token, int StatusCode, string? Code, string? Reason)
{
    public bool Allowed => Token is not null || SessionId is not null;
    public static AuthResult Refused(int status, string code, string reason) => new(null, status, code, reason);
    /// <summary>Allowed by a dashboard session (no token).</summary>
    public static AuthResult Session(DashboardSession s) => new(null, 200, null, null) { SessionId = s.Id };
    public long? SessionId { get; init; }
}
