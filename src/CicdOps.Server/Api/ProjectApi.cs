using System.Globalization;
using CicdOps.Engine;
using CicdOps.Engine.Model;
using Microsoft.AspNetCore.Http;

namespace CicdOps.Server.Api;

/// <summary>
/// The engine's data and actions over HTTP (everything under /api but the fleet): projects, deployments and their logs
/// (a JSON page, or an SSE stream tailing a running one), webhook deliveries, events, pipeline runs, telemetry history;
/// and deploy, cancel, pin, unpin and rollback. Authentication is the caller's (<see cref="ApiEndpoints"/>); each action
/// is recorded as an Operator event naming <see cref="Caller.Actor"/>.
/// </summary>
public sealed class ProjectApi(CicdEngine engine, TelemetryHistory history, ApiOptions options, Action<string> log)
{
    /// <summary>The route a path names: whether it acts (operate scope, POST) and who serves it; null when unknown.</summary>
    public Route? Match(string method, string path)
    {
        var s = path.Split('/', StringSplitOptions.RemoveEmptyEntries); // "api", ...
        if (s.Length < 2 || s[0] != "api") return null;
        var get = HttpMethods.IsGet(method) || HttpMethods.IsHead(method);
        var post = HttpMethods.IsPost(method);
        Route? R(bool acts, Func<HttpContext, Caller, Task> run) => (acts ? post : get) ? new Route(acts, run) : new Route(acts, null);
        return s switch
        {
            ["api", "projects"] => R(false, (c, _) => ApiReply.Json(c, 200, engine.GetProjects().Select(ProjectView(engine.GetLatestDeployments())).ToList())),
            ["api", "projects", var p] => R(false, (c, _) => ApiReply.Json(c, 200, ProjectView(engine.GetLatestDeployments())(engine.GetProject(p)))),
            ["api", "projects", var p, "deployments"] => R(false, (c, _) => ApiReply.Json(c, 200, engine.GetDeployments(p, Limit(c, 50)))),
            ["api", "projects", var p, "applog"] => R(false, (c, _) => ApiReply.Json(c, 200, new { project = p, text = engine.TailAppLog(p, Limit(c, 64 * 1024, "bytes", 1024 * 1024)) })),
            ["api", "projects", var p, "deliveries"] => R(false, (c, _) => ApiReply.Json(c, 200, DeliveriesFor(engine.GetProject(p).Name, Limit(c, 50)))),
            ["api", "projects", var p, "events"] => R(false, (c, _) => ApiReply.Json(c, 200, engine.GetEvents(p, 0, Limit(c, 100), newest: true))),
            ["api", "projects", var p, "pipeline-runs"] => R(false, (c, _) => ApiReply.Json(c, 200, engine.GetPipelineRuns(p, Limit(c, 20)))),
            ["api", "pipeline-runs", var id] => R(false, (c, _) => ApiReply.Json(c, 200, engine.GetPipelineRun(id))),
            ["api", "deployments", var id] => R(false, (c, _) => ApiReply.Json(c, 200, engine.GetDeployment(Id(id)))),
            ["api", "deployments", var id, "log"] => R(false, (c, _) => LogPage(c, Id(id))),
            ["api", "stream", "deployments", var id, "log"] => R(false, (c, caller) => new DeploymentLogStream(engine, options, log).ServeAsync(c, Id(id), caller)),
            ["api", "deliveries"] => R(false, (c, _) => ApiReply.Json(c, 200, engine.GetWebhookDeliveries(Limit(c, 50), Text(c, "provider")))),
            ["api", "events"] => R(false, (c, _) => ApiReply.Json(c, 200, engine.GetEvents(Text(c, "project"), Limit(c, 0, "after", long.MaxValue), Limit(c, 100),
                newest: Text(c, "after") is null))),
            ["api", "telemetry"] => R(false, (c, _) => ApiReply.Json(c, 200, history.Series())),
            ["api", "projects", var p, "deploy"] => R(true, (c, who) => Act(c, who, p, a =>
            {
                var d = engine.RequestDeployment(new DeploymentRequest { Project = p, Commit = a.Commit });
                return (d, $"deploy of {a.Commit ?? "the branch tip"} requested (deployment {d.Id})", d.Id);
            })),
            ["api", "projects", var p, "cancel"] => R(true, (c, who) => Act(c, who, p, _ =>
            {
                var d = engine.CancelDeployment(p);
                return (d, $"cancel of deployment {d.Id} requested", d.Id);
            })),
            ["api", "projects", var p, "pin"] => R(true, (c, who) => Act(c, who, p, a =>
            {
                var r = engine.Pin(p, a.Commit);
                return (r, $"pinned to {r.Project.PinnedCommit}" + (r.Deployment is { } d ? $" (deployment {d.Id})" : ""), r.Deployment?.Id);
            })),
            ["api", "projects", var p, "unpin"] => R(true, (c, who) => Act(c, who, p, _ => (engine.Unpin(p), "unpinned", (long?)null))),
            ["api", "projects", var p, "rollback"] => R(true, (c, who) => Act(c, who, p, a =>
            {
                var d = engine.Rollback(p, a.Commit, a.Pin, a.Force);
                return (d, $"rollback to {d.RequestedCommit} requested" + (a.Pin ? " and pinned" : "") + $" (deployment {d.Id})", d.Id);
            })),
            _ => null,
        };
    }

    private async Task Act<T>(HttpContext c, Caller who, string project, Func<ActionRequest, (T Result, string What, long? DeploymentId)> run)
    {
        var request = await ActionRequest.ReadAsync(c.Request, c.RequestAborted);
        var (result, what, deployment) = run(request);
        var ev = engine.RecordOperatorAction(project, who.Actor, what, deployment);
        log($"api action project={ev.Project} by={who.Actor}: {what}");
        await ApiReply.Json(c, 202, new { result, @event = ev });
    }

    private async Task LogPage(HttpContext c, long id)
    {
        var d = engine.GetDeployment(id);
        var (text, next) = engine.ReadDeploymentLog(id, Limit(c, 0, "offset", long.MaxValue));
        await ApiReply.Json(c, 200, new { deploymentId = id, status = d.Status, finished = d.IsFinished, text, nextOffset = next });
    }

    /// <summary>A project with what the fleet view shows beside it: its live stats, last deployment and a forge link to its commit.</summary>
    private Func<Project, object> ProjectView(IReadOnlyDictionary<string, Deployment> latest) => p => new
    {
        project = p, stats = history.Latest(p.Name), lastDeployment = latest.GetValueOrDefault(p.Name),
        commitUrl = CicdEngine.CommitLink(p.Repository, p.CurrentCommit),
    };

    /// <summary>Deliveries whose per-project results name this project (the detail JSON lists them by name).</summary>
    internal IReadOnlyList<WebhookDelivery> DeliveriesFor(string project, int limit) =>
        engine.GetWebhookDeliveries(Math.Min(limit * 10, 1000))
            .Where(d => d.Detail is { } detail && detail.Contains($"\"{project}\"", StringComparison.Ordinal))
            .Take(limit).ToList();

    private static long Id(string s) =>
        long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : throw new BadRequest($"'{Engine.Listener.ListenerLog.Clean(s)}' is not a deployment id");

    private static string? Text(HttpContext c, string name) => c.Request.Query[name].ToString() is { Length: > 0 } v ? v : null;

    private static int Limit(HttpContext c, int fallback, string name = "limit", int max = 1000) => (int)Limit(c, (long)fallback, name, max);

    private static long Limit(HttpContext c, long fallback, string name, long max)
    {
        var v = c.Request.Query[name].ToString();
        if (v.Length == 0) return fallback;
        if (!long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > max)
            throw new BadRequest($"'{name}' must be a whole number from 0 to {max}");
        return n;
    }

    public sealed record Route(bool Acts, Func<HttpContext, Caller, Task>? Run);
}
