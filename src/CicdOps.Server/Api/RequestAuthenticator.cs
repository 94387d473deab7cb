using CicdOps.Server.Dashboard;
using Microsoft.AspNetCore.Http;

namespace CicdOps.Server.Api;

/// <summary>
/// Who may call an /api endpoint: a bearer token (<see cref="BearerAuthenticator"/>), or — when the dashboard is on — its
/// session cookie. A session may read; it may act only with the Operator role, the CSRF token in the X-CSRF-Token
/// header and no foreign Origin. A request with an Authorization header is judged by the token alone.
/// </summary>
public sealed class RequestAuthenticator(BearerAuthenticator bearer, Func<string?, DashboardSession?>? sessions)
{
    public (Caller? Caller, AuthResult Result) Check(HttpContext context, ApiTokenScope needed)
    {
        var cookie = sessions is null || context.Request.Headers.Authorization.Count > 0 ? null : SessionCookie.Read(context.Request);
        if (cookie is null)
        {
            var r = bearer.Check(context, needed);
            return (r.Token is { } t ? new Caller("token:" + t.Name, t.Scope == ApiTokenScope.Operate, false) : null, r);
        }
        if (BearerAuthenticator.TokenInUrl(context) is { } inUrl) return (null, inUrl);
        var session = sessions!(cookie);
        if (session is null) return (null, AuthResult.Refused(401, "invalid-session", "your dashboard session has ended; sign in again with `cicdops dashboard login`"));
        var ok = AuthResult.Session(session);
        if (needed == ApiTokenScope.Read) return (new Caller(session.Actor, session.Role == DashboardRole.Operator, true, SessionCookie.Csrf(cookie)), ok);
        if (session.Role != DashboardRole.Operator) return (null, AuthResult.Refused(403, "role", "this session's role is viewer; actions need operator"));
        if (SessionCookie.CrossOriginReason(context.Request) is { } why) return (null, AuthResult.Refused(403, "cross-origin", why));
        if (!SessionCookie.CsrfMatches(cookie, context.Request.Headers[SessionCookie.CsrfHeader].ToString()))
            return (null, AuthResult.Refused(403, "csrf", "missing or wrong CSRF token (reload the page)"));
        return (new Caller(session.Actor, true, true, SessionCookie.Csrf(cookie)), ok);
    }
}
