using System.Text;
using CicdOps.Engine;
using CicdOps.Server.Api;
using static CicdOps.Server.Dashboard.Html;

namespace CicdOps.Server.Dashboard;

/// <summary>
/// The dashboard's pages, rendered on the server from the engine (the same calls the API makes). Each page is a layout
/// around fragments; a fragment can be re-rendered alone (<c>?fragment=NAME</c>), which is how the live parts refresh
/// when the fleet stream says something changed. Operator-only controls are not rendered for a viewer (and the API
/// refuses a viewer's actions anyway).
/// </summary>
internal sealed class DashboardPages(CicdEngine engine, TelemetryHistory history, IReadOnlyList<FleetUpdate> nodes)
{
    public record Viewer(DashboardSession Session, string Csrf)
    {
        public bool CanOperate => Session.Role == DashboardRole.Operator;
    }

    public string Layout(Viewer v, string title, string body, string? current = null)
    {
        var b = new StringBuilder(body.Length + 2048);
        b.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">")
         .Append("<meta name=\"csrf-token\" content=\"").Append(E(v.Csrf)).Append("\"><meta name=\"htmx-config\" content='{\"includeIndicatorStyles\":false,\"allowEval\":false}'>")
         .Append("<title>").Append(E(title)).Append(" · CicdOps</title>")
         .Append("<link rel=\"stylesheet\" href=\"/static/dashboard.css\"><link rel=\"stylesheet\" href=\"/static/vendor/uplot/uPlot.min.css\">")
         .Append("<script src=\"/static/vendor/htmx/htmx.min.js\" defer></script><script src=\"/static/vendor/htmx-ext-sse/sse.min.js\" defer></script>")
         .Append("<script src=\"/static/vendor/uplot/uPlot.iife.min.js\" defer></script><script src=\"/static/dashboard.js\" defer></script></head>")
         .Append("<body hx-ext=\"sse\" hx-headers='{\"X-CSRF-Token\":\"").Append(E(v.Csrf)).Append("\"}'>")
         .Append("<header><span class=\"brand\">CicdOps</span><nav aria-label=\"Main\">");
        foreach (var (href, label) in new[] { ("/", "Fleet"), ("/activity", "Deliveries & events"), ("/pipelines", "Pipelines") })
            b.Append("<a href=\"").Append(href).Append('"').Append(current == href ? " aria-current=\"page\"" : "").Append('>').Append(E(label)).Append("</a>");
        b.Append("</nav><span class=\"who\">Signed in as <strong>").Append(v.Session.Role == DashboardRole.Operator ? "operator" : "viewer")
         .Append("</strong> (session ").Append(v.Session.Id).Append(")</span>")
         .Append("<form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"_csrf\" value=\"").Append(E(v.Csrf)).Append("\"><button type=\"submit\">Sign out</button></form></header>")
         .Append("<main>").Append(body).Append("</main></body></html>");
        return b.ToString();
    }

    // ---- Fleet ----

    public string Fleet(Viewer v)
    {
        var b = new StringBuilder();
        b.Append("<h1>Fleet <span class=\"muted\" style=\"font-size:.7em\" id=\"live-state\" role=\"status\">connecting…</span></h1>")
         .Append("<div data-fragment=\"nodes\" data-live-fleet>").Append(Nodes()).Append("</div>")
         .Append("<div data-fragment=\"rows\">").Append(FleetRows()).Append("</div>");
        return Layout(v, "Fleet", b.ToString(), "/");
    }

    public string Nodes()
    {
        var b = new StringBuilder("<section class=\"nodes\" aria-label=\"Nodes\">");
        foreach (var n in nodes.Where(u => u.Kind == FleetUpdateKind.Node))
        {
            var stale = n.NodeState == FleetNodeState.Stale;
            b.Append("<div class=\"node").Append(stale ? " stale" : "").Append("\"><strong>").Append(E(n.Node)).Append("</strong> ")
             .Append(stale ? Badge("Stale: not reporting", "warn") : Badge("Online", "ok"))
             .Append(" <span class=\"muted\">CPU ").Append(Percent(n.CpuPercent)).Append(" · memory ").Append(Html.Bytes(n.MemoryBytes)).Append("</span></div>");
        }
        return b.Append("</section>").ToString();
    }

    public string FleetRows()
    {
        var staleNodes = nodes.Where(u => u.Kind == FleetUpdateKind.Node && u.NodeState == FleetNodeState.Stale).Select(u => u.Node).ToHashSet();
        var self = engine.GetNodeIdentity();
        var node = self.Name;
        var latest = engine.GetLatestDeployments();
        var rows = engine.GetProjects().OrderBy(p => p.Name, StringComparer.Ordinal).Select(p =>
        {
            var s = history.Latest(p.Name);
            var last = latest.GetValueOrDefault(p.Name);
            return (IEnumerable<string>)new[]
            {
                $"<a href=\"/projects/{U(p.Name)}\" data-project-link=\"{E(p.Name)}\">{E(p.Name)}</a>",
                E(node) + (staleNodes.Contains(node) ? " " + Badge("stale", "warn") : ""),
                $"<span data-f=\"status\">{Status(p.Status)}</span>",
                Health(s?.Health),
                $"<span data-f=\"commit\">{Commit(p.Repository, p.CurrentCommit)}</span>",
                p.PinnedCommit is { } pin ? Badge("Pinned " + Short(pin), "warn") : "<span class=\"muted\">no</span>",
                Duration(s?.Uptime),
                $"{Percent(s?.CpuPercent)}<div class=\"spark\" data-chart=\"cpu\" data-project=\"{E(p.Name)}\" role=\"img\" aria-label=\"CPU of {E(p.Name)}, last 15 minutes\"></div>",
                $"{Html.Bytes(s?.MemoryBytes)}<div class=\"spark\" data-chart=\"mem\" data-project=\"{E(p.Name)}\" role=\"img\" aria-label=\"Memory of {E(p.Name)}, last 15 minutes\"></div>",
                (s?.Restarts ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture),
                last is null ? "<span class=\"muted\">never deployed</span>"
                    : $"<span data-f=\"last\">#{last.Id} {Status(last.Status)} {E(last.Trigger.ToString())} {Commit(p.Repository, last.Commit ?? last.RequestedCommit)}</span><br><span class=\"muted\">{Time(last.FinishedAt ?? last.StartedAt ?? last.QueuedAt)}</span>",
            };
        });
        // With a registry, the other nodes' projects too (read-only: actions run on the node that hosts them).
        var remote = nodes.Where(u => u.Kind == FleetUpdateKind.Project && u.NodeId != self.Id && u.Project is not null)
            .OrderBy(u => u.Node, StringComparer.Ordinal).ThenBy(u => u.Project, StringComparer.Ordinal)
            .Select(u => (IEnumerable<string>)new[]
            {
                E(u.Project), E(u.Node) + (u.NodeState == FleetNodeState.Stale ? " " + Badge("stale", "warn") : ""),
                u.Status is { } st ? Status(st) : "—", Badge(u.Health.ToString(), u.Health.ToString() switch { "Healthy" => "ok", "Unhealthy" => "bad", _ => "muted" }),
                $"<code>{E(Short(u.Commit))}</code>", "—", "—", Percent(u.CpuPercent), Html.Bytes(u.MemoryBytes), "—",
                $"<span class=\"muted\">on {E(u.Node)}, {Time(u.At)}</span>",
            });
        rows = rows.Concat(remote);
        var b = new StringBuilder();
        Table(b, "Projects", "fleet",
            ["Project", "Node", "Status", "Health", "Commit serving", "Pinned", "Uptime", "CPU", "Memory", "Restarts", "Last deployment"], rows,
            "No projects yet: register one with `cicdops project add`.");
        return b.ToString();
    }

    // ---- Project ----

    public string Project(Viewer v, string name, long? deploymentId)
    {
        var p = engine.GetProject(name);
        var b = new StringBuilder();
        b.Append("<h1>").Append(E(p.Name)).Append("</h1>")
         .Append("<div data-fragment=\"summary\">").Append(Summary(p.Name)).Append("</div>");
        if (v.CanOperate) Actions(b, p);
        b.Append("<h2 id=\"history-h\">Deployments</h2><div data-fragment=\"history\" data-project=\"").Append(E(p.Name)).Append("\">").Append(History(p.Name)).Append("</div>");
        var shown = deploymentId is { } id ? engine.GetDeployment(id) : engine.GetDeployments(p.Name, 1).FirstOrDefault();
        if (shown is not null && shown.Project == p.Name)
        {
            b.Append("<h2 id=\"log-h\">Log of deployment #").Append(shown.Id).Append("</h2>")
             .Append("<div sse-connect=\"/api/stream/deployments/").Append(shown.Id).Append("/log?format=html\" sse-close=\"end\">")
             .Append("<div class=\"log\" id=\"deployment-log\" role=\"log\" aria-labelledby=\"log-h\" aria-live=\"polite\" sse-swap=\"log\" hx-swap=\"beforeend\"></div>")
             .Append("<p>Outcome: <span id=\"deployment-end\" sse-swap=\"end\" hx-swap=\"innerHTML\" role=\"status\">running or waiting…</span></p></div>");
        }
        b.Append("<h2 id=\"applog-h\">App log (tail)</h2><pre class=\"log\" aria-labelledby=\"applog-h\">").Append(E(engine.TailAppLog(p.Name, 16 * 1024))).Append("</pre>");
        b.Append("<h2>Webhook deliveries</h2>");
        Deliveries(b, engine.GetWebhookDeliveries(500).Where(d => d.Detail?.Contains($"\"{p.Name}\"", StringComparison.Ordinal) == true).Take(20));
        b.Append("<h2>Events</h2>");
        Events(b, engine.GetEvents(p.Name, 0, 30, newest: true).Reverse());
        return Layout(v, p.Name, b.ToString());
    }

    public string Summary(string name)
    {
        var p = engine.GetProject(name);
        var s = history.Latest(p.Name);
        var b = new StringBuilder("<dl class=\"facts\">");
        void Fact(string dt, string dd) => b.Append("<dt>").Append(E(dt)).Append("</dt><dd>").Append(dd).Append("</dd>");
        Fact("Status", Status(p.Status));
        Fact("Health", Health(s?.Health));
        Fact("Commit serving", Commit(p.Repository, p.CurrentCommit));
        Fact("Last good", Commit(p.Repository, p.LastGoodCommit));
        Fact("Pinned", p.PinnedCommit is { } pin ? Badge("Pinned to " + Short(pin), "warn") : "no");
        Fact("Repository", $"<code>{E(p.Repository)}</code> branch <code>{E(p.Branch)}</code>");
        Fact("CPU · memory · uptime · restarts", $"{Percent(s?.CpuPercent)} · {Html.Bytes(s?.MemoryBytes)} · {Duration(s?.Uptime)} · {s?.Restarts ?? 0}");
        return b.Append("</dl>").ToString();
    }

    private void Actions(StringBuilder b, Project p)
    {
        var good = engine.GetDeployments(p.Name, 200).Where(d => d.Status == DeploymentStatus.Succeeded && d.Commit is not null)
            .Select(d => d.Commit!).Distinct().Take(20).ToList();
        string Form(string action, string confirm, string inner, string button, bool danger = false) =>
            $"<form class=\"action\" hx-post=\"/api/projects/{U(p.Name)}/{action}\" hx-confirm=\"{E(confirm)}\" hx-swap=\"none\" data-action=\"{action}\">{inner}" +
            $"<button type=\"submit\"{(danger ? " class=\"danger\"" : "")}>{E(button)}</button></form>";
        b.Append("<h2>Actions</h2><div class=\"actions\">")
         .Append(Form("deploy", $"Deploy {p.Name}?", "<label>Commit (empty: branch tip)<input name=\"commit\" autocomplete=\"off\" pattern=\"[0-9a-fA-F]{4,64}\"></label>", "Deploy"))
         .Append(Form("cancel", $"Cancel {p.Name}'s waiting or running deployment?", "", "Cancel deployment", danger: true))
         .Append(p.PinnedCommit is null
            ? Form("pin", $"Pin {p.Name}? Pushes will be recorded but not deployed.", "<label>Commit (empty: the one serving)<input name=\"commit\" autocomplete=\"off\"></label>", "Pin")
            : Form("unpin", $"Unpin {p.Name}? Pushes deploy again.", "", "Unpin"))
         .Append(Form("rollback", $"Roll {p.Name} back?",
            "<label>Good commit<select name=\"commit\">" + string.Concat(good.Select(c => $"<option value=\"{E(c)}\">{E(Short(c))}</option>")) + "</select></label>" +
            "<label><span><input type=\"checkbox\" name=\"pin\" value=\"true\"" + (p.PinnedCommit is null ? "" : " checked") + "> and pin it</span></label>", "Roll back", danger: true))
         .Append("</div><p id=\"action-result\" role=\"status\" aria-live=\"polite\"></p>");
    }

    public string History(string name)
    {
        var p = engine.GetProject(name);
        var b = new StringBuilder();
        Table(b, "Deployment history", "history", ["#", "Trigger", "Commit", "Status", "Duration", "Reason", "Queued"],
            engine.GetDeployments(p.Name, 30).Select(d => (IEnumerable<string>)new[]
            {
                $"<a href=\"/projects/{U(p.Name)}?deployment={d.Id}\">#{d.Id}</a>", E(d.Trigger.ToString()), Commit(p.Repository, d.Commit ?? d.RequestedCommit),
                Status(d.Status), Duration(d.Duration), E(d.Reason), Time(d.QueuedAt),
            }), "No deployments yet.");
        return b.ToString();
    }

    // ---- Deliveries and events ----

    public string Activity(Viewer v)
    {
        var b = new StringBuilder("<h1>Deliveries &amp; events</h1><h2>Webhook deliveries</h2>");
        Deliveries(b, engine.GetWebhookDeliveries(100));
        b.Append("<h2>Events</h2>");
        Events(b, engine.GetEvents(null, 0, 100, newest: true).Reverse());
        return Layout(v, "Deliveries & events", b.ToString(), "/activity");
    }

    private static void Deliveries(StringBuilder b, IEnumerable<WebhookDelivery> list) =>
        Table(b, "Webhook deliveries", "deliveries", ["#", "Received", "Provider", "Event", "Repository", "Ref", "Commit", "Signature", "Outcome", "HTTP"],
            list.Select(d => (IEnumerable<string>)new[]
            {
                d.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), Time(d.ReceivedAt), E(d.Provider), E(d.Event), E(d.Repository), E(d.Ref),
                $"<code>{E(Short(d.Commit))}</code>", Badge(d.Signature, d.Signature is "valid" ? "ok" : d.Signature is "unsigned" ? "warn" : "bad"),
                Badge(d.Outcome, d.Outcome is "queued" ? "ok" : d.Outcome is "rejected" ? "bad" : "muted"),
                d.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture),
            }), "No webhook deliveries recorded.");

    private static void Events(StringBuilder b, IEnumerable<CicdEvent> list) =>
        Table(b, "Events", "events", ["#", "At", "Project", "Kind", "What happened"],
            list.Select(e => (IEnumerable<string>)new[]
            {
                e.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), Time(e.At), $"<a href=\"/projects/{U(e.Project)}\">{E(e.Project)}</a>",
                Badge(e.Kind.ToString(), e.Kind switch { CicdEventKind.Recovered => "ok", CicdEventKind.Operator => "info", CicdEventKind.Restarting => "warn", _ => "bad" }),
                E(e.Message),
            }), "No events recorded.");

    // ---- Pipelines ----

    public string Pipelines(Viewer v)
    {
        var b = new StringBuilder("<h1>Pipeline runs</h1>");
        var any = false;
        foreach (var p in engine.GetProjects().OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            var runs = engine.GetPipelineRuns(p.Name, 20);
            if (runs.Count == 0) continue;
            any = true;
            b.Append("<h2>").Append(E(p.Name)).Append("</h2>");
            foreach (var r in runs)
            {
                b.Append("<details class=\"run\"><summary><strong>").Append(E(r.RunId)).Append("</strong> ")
                 .Append(Badge(r.Status.ToString(), r.Status switch { PipelineRunStatus.Succeeded => "ok", PipelineRunStatus.Running or PipelineRunStatus.Queued => "info", PipelineRunStatus.Cancelled or PipelineRunStatus.Superseded => "muted", _ => "bad" }))
                 .Append(" <code>").Append(E(Short(r.Commit))).Append("</code> ").Append(E(r.Event)).Append(" · ").Append(Duration(r.Duration))
                 .Append(" · ").Append(Time(r.StartedAt)).Append(r.Reason is { } why ? " · " + E(why) : "").Append("</summary><div>");
                Table(b, "Steps of run " + r.RunId, "steps", ["#", "Step", "Status", "Exit", "Duration", "Reason"],
                    r.Steps.Select(s => (IEnumerable<string>)new[]
                    {
                        s.Index.ToString(System.Globalization.CultureInfo.InvariantCulture), E(s.Name),
                        Badge(s.Status.ToString(), s.Status switch { PipelineStepStatus.Succeeded => "ok", PipelineStepStatus.Skipped => "muted", _ => "bad" }),
                        s.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "—", Duration(s.Duration), E(s.Reason),
                    }), "No steps ran.");
                b.Append("</div></details>");
            }
        }
        if (!any) b.Append("<p class=\"muted\">No pipeline runs recorded.</p>");
        return Layout(v, "Pipelines", b.ToString(), "/pipelines");
    }

    public static string SignedOut(string message) =>
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">" +
        "<title>Sign in · CicdOps</title><link rel=\"stylesheet\" href=\"/static/dashboard.css\"></head><body><main><h1>CicdOps dashboard</h1>" +
        $"<p role=\"alert\">{E(message)}</p><p>Get a sign-in link on the server: <code>cicdops dashboard login</code> " +
        "(or <code>New-CicdDashboardLogin</code>). A link works once, for 15 minutes.</p></main></body></html>";
}
