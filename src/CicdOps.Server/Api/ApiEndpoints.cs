using System.Text;
using CicdOps.Engine.Fleet;
using Microsoft.AspNetCore.Http;

namespace CicdOps.Server.Api;

/// <summary>
/// The listener's /api endpoints, each behind a bearer token (<see cref="BearerAuthenticator"/>):
/// <c>GET /api/fleet</c> (the fleet now, as JSON) and <c>GET /api/stream/fleet</c> (Server-Sent Events: one
/// <c>fleet</c> event per node/project change, a heartbeat comment every <see cref="ApiOptions.Heartbeat"/>,
/// resume with Last-Event-ID). <c>?node=</c> and <c>?project=</c> filter both by exact name.
/// </summary>
public sealed class ApiEndpoints : IAsyncDisposable
{
    private readonly RequestAuthenticator _auth;
    private readonly FleetEventHub _hub;
    private readonly ApiOptions _options;
    private readonly Action<string> _log;
    private readonly ProjectApi? _projects;

    /// <param name="projects">The project API (everything but the fleet), or null to serve only the fleet.</param>
    /// <param name="sessions">The dashboard's session check when the dashboard is on: its cookie is then accepted where a token is.</param>
    public ApiEndpoints(Func<string?, ApiToken?> authenticate, Func<IFleetFeed> openFeed, ApiOptions options, Action<string> log,
        ProjectApi? projects = null, Func<string?, DashboardSession?>? sessions = null)
    {
        _auth = new RequestAuthenticator(new BearerAuthenticator(authenticate), sessions);
        _options = options;
        _log = log;
        _projects = projects;
        _hub = new FleetEventHub(openFeed, options, log);
    }

    public FleetEventHub Hub => _hub;

    public async Task HandleAsync(HttpContext context)
    {
        var path = (context.Request.Path.Value ?? "").TrimEnd('/');
        var fleet = path is "/api/fleet" or "/api/stream/fleet";
        var route = fleet ? null : _projects?.Match(context.Request.Method, path);
        if (!fleet && route is null)
        {
            await Reply(context, 404, _projects is null
                ? "not found; the API has GET /api/fleet and GET /api/stream/fleet"
                : "not found; see the README's API section for the endpoints");
            return;
        }
        if (fleet ? !HttpMethods.IsGet(context.Request.Method) : route!.Run is null)
        {
            await Reply(context, 405, route?.Acts == true ? "use POST" : "use GET");
            return;
        }
        var (caller, auth) = _auth.Check(context, route?.Acts == true ? ApiTokenScope.Operate : ApiTokenScope.Read);
        if (caller is null)
        {
            _log($"api status={auth.StatusCode} path={path} refused={auth.Code}");
            if (auth.StatusCode == 401) context.Response.Headers.WWWAuthenticate = "Bearer";
            await Reply(context, auth.StatusCode, auth.Reason!);
            return;
        }
        var filter = Filter(context.Request.Query);
        try
        {
            if (route is not null) await route.Run!(context, caller);
            else if (path == "/api/fleet") await SnapshotAsync(context, filter);
            else await StreamAsync(context, filter, caller);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested) { }
        catch (BadRequest e) when (!context.Response.HasStarted)
        {
            await Reply(context, 400, e.Message);
        }
        catch (CicdOps.Engine.CicdException e) when (!context.Response.HasStarted)
        {
            await Reply(context, fleet ? 503 : ApiReply.StatusOf(e), e.Message);
        }
    }

    private async Task SnapshotAsync(HttpContext context, Func<FleetUpdate, bool> filter)
    {
        var rows = (await _hub.SnapshotAsync(context.RequestAborted)).Where(filter).ToList();
        var body = Encoding.UTF8.GetBytes(FleetJson.Serialize(new { takenAt = DateTimeOffset.UtcNow, rows }));
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    private async Task StreamAsync(HttpContext context, Func<FleetUpdate, bool> filter, Caller caller)
    {
        long? lastId = long.TryParse(context.Request.Headers["Last-Event-ID"].ToString(), System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out var id) ? id : null;
        using var sub = await _hub.SubscribeAsync(lastId, context.RequestAborted);
        if (sub is null)
        {
            await Reply(context, 503, "too many open streams; retry later");
            return;
        }
        var r = context.Response;
        r.StatusCode = 200;
        r.ContentType = "text/event-stream";
        r.Headers.CacheControl = "no-store";
        r.Headers["X-Accel-Buffering"] = "no"; // nginx in front must not hold events back
        var ct = context.RequestAborted;
        _log($"api stream opened by={caller.Actor} resume={(lastId is null ? "-" : lastId.ToString())} clients={_hub.Clients}");
        await Write(r, "retry: 2000\n\n", ct);
        foreach (var u in sub.Initial)
            if (filter(u.Update)) await Write(r, Event(u), ct);
        var reader = sub.Queue.Reader;
        while (true)
        {
            // Waits for the next update or the heartbeat, whichever comes first (one timer per wait, cancelled with it:
            // a busy stream must not pile up pending heartbeat timers).
            using (var beat = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                beat.CancelAfter(_options.Heartbeat);
                bool more;
                try { more = await reader.WaitToReadAsync(beat.Token); }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    await Write(r, $": heartbeat {DateTimeOffset.UtcNow:O}\n\n", ct);
                    continue;
                }
                if (!more) break; // completed: the listener stops, or this client fell too far behind
            }
            while (reader.TryRead(out var u))
                if (filter(u.Update)) await Write(r, Event(u), ct);
        }
        if (sub.Overflowed) _log($"api stream closed by={caller.Actor} reason=client_too_slow queue={_options.ClientQueue}");
    }

    private static string Event(StreamedUpdate u) => $"id: {u.Id}\nevent: fleet\ndata: {FleetJson.Serialize(u.Update)}\n\n";

    private static async Task Write(HttpResponse r, string text, CancellationToken ct)
    {
        await r.Body.WriteAsync(Encoding.UTF8.GetBytes(text), ct);
        await r.Body.FlushAsync(ct);
    }

    private static Func<FleetUpdate, bool> Filter(IQueryCollection q)
    {
        var node = q["node"].ToString();
        var project = q["project"].ToString();
        return u => (node.Length == 0 || string.Equals(u.Node, node, StringComparison.Ordinal))
            && (project.Length == 0 || string.Equals(u.Project, project, StringComparison.Ordinal));
    }

    private static async Task Reply(HttpContext context, int status, string reason)
    {
        var body = Encoding.UTF8.GetBytes(FleetJson.Serialize(new { status, error = reason }));
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body);
    }

    public void Stop() => _hub.Stop();

    public ValueTask DisposeAsync() => _hub.DisposeAsync();
}
