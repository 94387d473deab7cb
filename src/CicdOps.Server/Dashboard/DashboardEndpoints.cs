using System.Text;
using CicdOps.Engine;
using CicdOps.Server.Api;
using Microsoft.AspNetCore.Http;

namespace CicdOps.Server.Dashboard;

/// <summary>
/// The dashboard under / (off unless the listener is started with --dashboard): /login/TOKEN opens a session from a
/// one-time link and redirects to / (so no secret stays in the address bar or history), pages need a valid session
/// cookie, /static/ is public. Every answer carries a strict Content-Security-Policy (scripts only from /static/, no
/// framing). Its live parts and actions call the /api endpoints with the same cookie.
/// </summary>
public sealed class DashboardEndpoints(CicdEngine engine, TelemetryHistory history, FleetEventHub hub, DashboardOptions options, Action<string> log)
{
    public async Task HandleAsync(HttpContext context)
    {
        var r = context.Response;
        r.Headers.ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
            "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
        r.Headers.XContentTypeOptions = "nosniff";
        r.Headers["Referrer-Policy"] = "no-referrer";
        r.Headers.XFrameOptions = "DENY";
        var path = context.Request.Path.Value ?? "/";
        if (path.StartsWith("/static/", StringComparison.Ordinal))
        {
            if (!await StaticFiles.TryServeAsync(context)) await Text(context, 404, "not found");
            return;
        }
        if (path.StartsWith("/login/", StringComparison.Ordinal)) { await LoginAsync(context, path["/login/".Length..]); return; }
        var cookie = SessionCookie.Read(context.Request);
        var session = cookie is null ? null : engine.AuthenticateDashboardSession(cookie);
        if (path == "/logout" && HttpMethods.IsPost(context.Request.Method)) { await LogoutAsync(context, cookie, session); return; }
        if (session is null)
        {
            if (cookie is not null) SessionCookie.Clear(r, options.SecureCookie);
            await Page(context, 401, DashboardPages.SignedOut(cookie is null ? "You are not signed in." : "Your session has ended (expired or revoked)."));
            return;
        }
        if (!(HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method))) { await Text(context, 405, "use GET"); return; }
        var viewer = new DashboardPages.Viewer(session, SessionCookie.Csrf(cookie!));
        var fragment = context.Request.Query["fragment"].ToString();
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        try
        {
            switch (segments)
            {
                case []:
                    var pages = new DashboardPages(engine, history, await NodesAsync(context.RequestAborted));
                    await Page(context, 200, fragment switch { "rows" => pages.FleetRows(), "nodes" => pages.Nodes(), _ => pages.Fleet(viewer) });
                    break;
                case ["projects", var name]:
                    var pp = new DashboardPages(engine, history, []);
                    long? id = long.TryParse(context.Request.Query["deployment"].ToString(), out var d) ? d : null;
                    await Page(context, 200, fragment switch { "history" => pp.History(name), "summary" => pp.Summary(name), _ => pp.Project(viewer, name, id) });
                    break;
                case ["activity"]: await Page(context, 200, new DashboardPages(engine, history, []).Activity(viewer)); break;
                case ["pipelines"]: await Page(context, 200, new DashboardPages(engine, history, []).Pipelines(viewer)); break;
                default: await Text(context, 404, "not found"); break;
            }
        }
        catch (CicdException e) when (!r.HasStarted)
        {
            await Text(context, ApiReply.StatusOf(e), e.Message);
        }
    }

    private async Task<IReadOnlyList<FleetUpdate>> NodesAsync(CancellationToken ct)
    {
        try { return await hub.SnapshotAsync(ct); }
        catch (Exception e) when (e is not OperationCanceledException) { log($"dashboard: fleet snapshot failed ({e.Message})"); return []; }
    }

    private async Task LoginAsync(HttpContext context, string token)
    {
        var client = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (!options.Limiter.TryAttempt(client, out var retry))
        {
            log($"dashboard login refused client={client} reason=rate-limited");
            context.Response.Headers.RetryAfter = ((int)Math.Ceiling(retry.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            await Page(context, 429, DashboardPages.SignedOut("Too many sign-in attempts from your address; wait a minute."));
            return;
        }
        var agent = context.Request.Headers.UserAgent.ToString();
        var opened = engine.RedeemDashboardLogin(token, $"{client} {agent}".Trim());
        if (opened is not { } o)
        {
            log($"dashboard login refused client={client} reason=invalid-used-or-expired-link");
            await Page(context, 401, DashboardPages.SignedOut("This sign-in link is not valid: it was used already, has expired (links last 15 minutes) or is mistyped."));
            return;
        }
        log($"dashboard login session={o.Session.Id} role={o.Session.Role} client={client}");
        SessionCookie.Set(context.Response, o.Cookie, o.Session.ExpiresAt, options.SecureCookie);
        context.Response.StatusCode = 303;
        context.Response.Headers.Location = "/";
        context.Response.Headers.CacheControl = "no-store";
    }

    private async Task LogoutAsync(HttpContext context, string? cookie, DashboardSession? session)
    {
        if (session is not null)
        {
            var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync(context.RequestAborted) : null;
            var csrf = form?["_csrf"].ToString() ?? context.Request.Headers[SessionCookie.CsrfHeader].ToString();
            if (!SessionCookie.CsrfMatches(cookie!, csrf) || SessionCookie.CrossOriginReason(context.Request) is not null)
            {
                await Text(context, 403, "missing or wrong CSRF token");
                return;
            }
            engine.RevokeDashboardSession(session.Id);
            log($"dashboard logout session={session.Id}");
        }
        SessionCookie.Clear(context.Response, options.SecureCookie);
        await Page(context, 200, DashboardPages.SignedOut("You are signed out."));
    }

    private static async Task Page(HttpContext context, int status, string html)
    {
        var body = Encoding.UTF8.GetBytes(html);
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        context.Response.ContentLength = body.Length;
        if (!HttpMethods.IsHead(context.Request.Method)) await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    private static Task Text(HttpContext context, int status, string text) => Page(context, status, $"<!doctype html><title>{status}</title><p>{Html.E(text)}</p>");
}

/// <summary>How the dashboard serves: the Secure flag on its cookie (under TLS), and the login attempt budget.</summary>
public sealed record DashboardOptions
{
    public bool SecureCookie { get; init; }
    public LoginRateLimiter Limiter { get; init; } = new();
}
