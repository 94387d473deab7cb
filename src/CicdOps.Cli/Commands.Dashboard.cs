using System.CommandLine;
using System.Globalization;
using CicdOps.Engine;

namespace CicdOps.Cli;

/// <summary>`dashboard login|sessions|revoke`: one-time sign-in links for the web dashboard and the sessions they open.</summary>
internal static partial class Commands
{
    private static Command Dashboard()
    {
        var cmd = new Command("dashboard", "Sign in to the web dashboard (`cicdops listen --dashboard`) and manage its sessions");
        cmd.Add(DashboardLogin());
        cmd.Add(DashboardSessions());
        cmd.Add(DashboardRevoke());
        return cmd;
    }

    private static Command DashboardLogin()
    {
        var role = new Option<string>("--role") { Description = "viewer (read) or operator (read and act)", HelpName = "viewer|operator", DefaultValueFactory = _ => "viewer" };
        var baseUrl = new Option<string>("--base-url")
        {
            Description = "The dashboard's address as your browser reaches it", HelpName = "URL",
            DefaultValueFactory = _ => $"http://localhost:{Engine.Listener.ListenerOptions.DefaultPort}",
        };
        var validFor = new Option<string>("--valid-for") { Description = "How long the link works, at most 15m (e.g. 15m, 5m, 90s)", HelpName = "DURATION", DefaultValueFactory = _ => "15m" };
        var json = JsonOption();
        var cmd = new Command("login", "Print a one-time sign-in link (valid 15 minutes; opening it starts a session)") { role, baseUrl, validFor, json };
        Act(cmd, pr =>
        {
            var r = pr.GetValue(role)!.ToLowerInvariant() switch
            {
                "viewer" => DashboardRole.Viewer,
                "operator" => DashboardRole.Operator,
                var other => throw new CicdException(CicdError.InvalidArgument, $"--role must be viewer or operator, not '{Output.OneLine(other)}'."),
            };
            var url = pr.GetValue(baseUrl)!.TrimEnd('/');
            if (!Uri.TryCreate(url, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https") || u.PathAndQuery != "/")
                throw new CicdException(CicdError.InvalidArgument, $"--base-url must be http(s)://HOST[:PORT], not '{Output.OneLine(url)}'.");
            var valid = ParseValidFor(pr.GetValue(validFor)!);
            using var engine = Open(pr);
            var login = engine.CreateDashboardLogin(r, valid);
            var link = url + login.Path;
            if (pr.GetValue(json)) { Output.WriteJson(new { login.Id, login.Role, login.ExpiresAt, Url = link }); return ExitCodes.Ok; }
            Console.Out.WriteLine(link);
            Console.Error.WriteLine($"sign-in link for a {r.ToString().ToLowerInvariant()} session: works once, until {Output.Time(login.ExpiresAt)}");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static TimeSpan ParseValidFor(string text)
    {
        var t = text.Trim();
        if (t.Length >= 2 && long.TryParse(t[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            && (t[^1] switch { 'm' => TimeSpan.FromMinutes(n), 's' => TimeSpan.FromSeconds(n), _ => (TimeSpan?)null }) is { } span
            && span <= CicdEngine.DashboardLoginValidity)
            return span;
        throw new CicdException(CicdError.InvalidArgument, $"--valid-for must be a duration up to 15m such as 15m or 90s, not '{Output.OneLine(text)}'.");
    }

    private static Command DashboardSessions()
    {
        var all = new Option<bool>("--all") { Description = "Also list expired and revoked sessions (kept a day)" };
        var json = JsonOption();
        var cmd = new Command("sessions", "List dashboard sessions (never their cookies)") { all, json };
        Act(cmd, pr =>
        {
            using var engine = Open(pr);
            var now = DateTimeOffset.UtcNow;
            var list = engine.GetDashboardSessions().Where(s => pr.GetValue(all) || s.IsActiveAt(now)).ToList();
            if (pr.GetValue(json)) { Output.WriteJson(list); return ExitCodes.Ok; }
            Output.Table(new[] { "ID", "ROLE", "STATE", "CREATED", "EXPIRES", "LAST SEEN", "CLIENT" },
                list.Select(s => (IReadOnlyList<string>)new[]
                {
                    s.Id.ToString(CultureInfo.InvariantCulture), s.Role.ToString().ToLowerInvariant(),
                    s.IsRevoked ? "revoked" : s.IsActiveAt(now) ? "active" : "expired",
                    Output.Time(s.CreatedAt), Output.Time(s.ExpiresAt), s.LastSeenAt is { } l ? Output.Time(l) : "-", s.Client ?? "-",
                }));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command DashboardRevoke()
    {
        var id = new Argument<long>("ID") { Description = "The session's id (from `cicdops dashboard sessions`)" };
        var cmd = new Command("revoke", "End a dashboard session now: its cookie is refused from the next request") { id };
        Act(cmd, pr =>
        {
            using var engine = Open(pr);
            var s = engine.RevokeDashboardSession(pr.GetValue(id));
            Console.Out.WriteLine($"revoked dashboard session {s.Id}");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
