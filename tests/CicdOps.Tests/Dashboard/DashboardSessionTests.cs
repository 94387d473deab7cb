using System.Text.Json;
using CicdOps.Tests.Cli;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Dashboard;

/// <summary>
/// Dashboard sign-in and sessions over plain HTTP (the browser tests drive the same through Chromium): one-time links,
/// the cookie's flags, roles, CSRF and Origin checks on actions, revocation, rate limiting, and the secure-by-default
/// refusals of `listen --dashboard`.
/// </summary>
[Collection("cli")]
public sealed class DashboardSessionTests
{
    [Fact]
    public async Task A_login_link_opens_one_session_once_sets_a_strict_httponly_cookie_and_leaves_no_secret_in_the_url()
    {
        using var node = new DashboardNode();
        node.Start();
        Assert.Equal(401, (await node.GetAsync("/")).Status);
        Assert.Equal(200, (await node.GetAsync("/healthz")).Status); // still the listener's

        var link = node.LoginUrl("viewer");
        Assert.StartsWith(node.BaseUrl + "/login/cdl_", link);
        var path = new Uri(link).AbsolutePath;
        var opened = await node.GetAsync(path);
        Assert.Equal(303, opened.Status);
        Assert.Equal("/", opened.Location);
        var set = Assert.Single(opened.SetCookies);
        Assert.Contains("httponly", set.ToLowerInvariant());
        Assert.Contains("samesite=strict", set.ToLowerInvariant());
        Assert.DoesNotContain("secure", set.ToLowerInvariant().Replace("samesite", "")); // plain HTTP on loopback
        var cookie = set.Split(';')[0];
        var page = await node.GetAsync("/", cookie: cookie);
        Assert.Equal(200, page.Status);
        Assert.Contains("Signed in as <strong>viewer</strong>", page.Body);

        // Used once: the same link again, and a mistyped one, are refused (and logged).
        Assert.Equal(401, (await node.GetAsync(path)).Status);
        Assert.Equal(401, (await node.GetAsync(path[..^2] + "xx")).Status);
        Assert.Contains("dashboard login refused", node.Output);

        // Only hashes are stored: neither the link's nor the cookie's secret is in the data directory.
        foreach (var file in Directory.GetFiles(node.Cli.DataPath, "*", SearchOption.AllDirectories))
        {
            var bytes = File.ReadAllText(file, System.Text.Encoding.Latin1);
            Assert.DoesNotContain(Secret(path), bytes);
            Assert.DoesNotContain(Secret(cookie), bytes);
        }

        var sessions = node.Cli.Run("dashboard", "sessions", "--json").ShouldExit(0).StdOut;
        var id = JsonDocument.Parse(sessions).RootElement[0].GetProperty("id").GetInt64();
        node.Cli.Run("dashboard", "revoke", id.ToString()).ShouldExit(0);
        Assert.Equal(401, (await node.GetAsync("/", cookie: cookie)).Status);
        Assert.Equal(401, (await node.GetAsync("/api/projects", cookie: cookie)).Status);
        Assert.Contains("revoked", node.Cli.Run("dashboard", "sessions", "--all").ShouldExit(0).StdOut);
        Assert.Contains("--valid-for", node.Cli.Run("dashboard", "login", "--valid-for", "20m").ShouldExit(1).StdErr);
    }

    [Fact]
    public async Task An_expired_link_is_refused()
    {
        using var node = new DashboardNode();
        node.Start();
        var link = node.LoginUrl("operator", validFor: "1s");
        await Task.Delay(2000);
        Assert.Equal(401, (await node.GetAsync(new Uri(link).AbsolutePath)).Status);
    }

    [Fact]
    public async Task Actions_with_a_session_need_the_operator_role_the_csrf_token_and_our_own_origin()
    {
        using var repo = new TestRepository();
        using var node = new DashboardNode();
        repo.WriteSleeper("v1", node.Cli.StateDir).CommitAndPush("v1");
        node.Cli.Add(repo, "shop");
        node.Start();

        var (viewer, _) = await node.SignInAsync("viewer");
        Assert.Equal(200, (await node.GetAsync("/api/projects", cookie: viewer)).Status);
        var viewerPage = await node.GetAsync("/projects/shop", cookie: viewer);
        Assert.DoesNotContain("hx-post", viewerPage.Body); // no action buttons for a viewer
        var viewerCsrf = Csrf(viewerPage.Body);
        Assert.Equal(403, (await node.PostAsync("/api/projects/shop/deploy", cookie: viewer, headers: new Dictionary<string, string> { ["X-CSRF-Token"] = viewerCsrf })).Status);

        var (op, _) = await node.SignInAsync("operator");
        var page = await node.GetAsync("/projects/shop", cookie: op);
        Assert.Contains("hx-post=\"/api/projects/shop/deploy\"", page.Body);
        var csrf = Csrf(page.Body);
        Assert.Equal(403, (await node.PostAsync("/api/projects/shop/deploy", cookie: op)).Status);
        Assert.Equal(403, (await node.PostAsync("/api/projects/shop/deploy", cookie: op, headers: new Dictionary<string, string> { ["X-CSRF-Token"] = viewerCsrf })).Status);
        Assert.Equal(403, (await node.PostAsync("/api/projects/shop/deploy", cookie: op,
            headers: new Dictionary<string, string> { ["X-CSRF-Token"] = csrf, ["Origin"] = "http://evil.example" })).Status);
        Assert.Empty(node.Cli.Deployments("shop"));

        var ok = await node.PostAsync("/api/projects/shop/deploy", cookie: op,
            headers: new Dictionary<string, string> { ["X-CSRF-Token"] = csrf, ["Origin"] = node.BaseUrl });
        Assert.Equal(202, ok.Status);
        var id = JsonDocument.Parse(ok.Body).RootElement.GetProperty("result").GetProperty("id").GetInt64();
        node.Cli.WaitFor("shop", id, d => d.IsFinished);
        Assert.Contains("by dashboard:session-", node.Cli.Run("events", "shop").ShouldExit(0).StdOut);
    }

    [Fact]
    public async Task Login_attempts_are_rate_limited_per_client()
    {
        using var node = new DashboardNode();
        node.Start();
        var statuses = new List<int>();
        for (var i = 0; i < 11; i++) statuses.Add((await node.GetAsync("/login/cdl_1_" + new string('A', 43))).Status);
        Assert.All(statuses.Take(10), s => Assert.Equal(401, s));
        Assert.Equal(429, statuses[10]);
        // Even a valid link waits out the window.
        Assert.Equal(429, (await node.GetAsync(new Uri(node.LoginUrl()).AbsolutePath)).Status);
        Assert.Contains("reason=rate-limited", node.Output);
    }

    [Fact]
    public void The_dashboard_is_off_by_default_and_refuses_plain_http_off_loopback()
    {
        using var cli = new CliHarness();
        var secret = Path.Combine(cli.Root, "s");
        File.WriteAllText(secret, "x\n");
        var r = cli.Run("listen", "--bind", "0.0.0.0", "--port", FreePort.Next().ToString(), "--webhook-secret-file", secret, "--dashboard");
        Assert.Equal(1, r.Code);
        Assert.Contains("--allow-insecure-dashboard", r.StdErr);
        Assert.Contains("needs --dashboard", cli.Run("listen", "--bind", "127.0.0.1", "--port", FreePort.Next().ToString(),
            "--webhook-secret-file", secret, "--allow-insecure-dashboard").StdErr);
    }

    [Fact]
    public async Task Without_dashboard_the_root_is_the_webhook_handlers_and_sessions_are_not_accepted_by_the_api()
    {
        using var node = new DashboardNode();
        node.Start(dashboard: false);
        Assert.Equal(404, (await node.GetAsync("/static/dashboard.js")).Status);
        Assert.Equal(401, (await node.GetAsync("/api/projects", cookie: "cicdops_session=cds_1_" + new string('A', 43))).Status);
    }

    /// <summary>The 43-character secret of a cdl_/cds_ token (after its id).</summary>
    private static string Secret(string s) => System.Text.RegularExpressions.Regex.Match(s, "cd[ls]_[0-9]+_([A-Za-z0-9_-]{43})").Groups[1].Value is { Length: 43 } v ? v : throw new Exception("no token in " + s);

    internal static string Csrf(string html) =>
        System.Text.RegularExpressions.Regex.Match(html, "<meta name=\"csrf-token\" content=\"([^\"]+)\"").Groups[1].Value;
}
