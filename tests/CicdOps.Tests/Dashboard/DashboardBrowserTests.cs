using System.Text.Json;
using CicdOps.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CicdOps.Tests.Dashboard;

/// <summary>
/// The dashboard in a real browser (Debian's Chromium through Playwright) against a real `cicdops listen --dashboard`,
/// real deployments from real git repositories, and the CLI to check what the page did.
/// </summary>
[Collection("cli")]
public sealed class DashboardBrowserTests : IClassFixture<Browser>
{
    private readonly Browser _browser;

    public DashboardBrowserTests(Browser browser) { _browser = browser; }

    [Fact]
    public async Task The_one_time_link_signs_in_leaves_a_clean_url_and_a_strict_cookie_and_works_only_once_and_only_until_it_expires()
    {
        using var node = new DashboardNode();
        node.Start();
        var link = node.LoginUrl("viewer");
        var context = await _browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(link);
        Assert.Equal(node.BaseUrl + "/", page.Url); // redirected: no secret in the address bar or history
        await Expect(page.GetByText("Signed in as")).ToBeVisibleAsync();
        var cookie = Assert.Single(await context.CookiesAsync());
        Assert.Equal("cicdops_session", cookie.Name);
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        Assert.Equal("", await page.EvaluateAsync<string>("document.cookie")); // scripts cannot read it

        var other = await (await _browser.NewContextAsync()).NewPageAsync();
        var again = await other.GotoAsync(link);
        Assert.Equal(401, again!.Status);
        await Expect(other.GetByRole(AriaRole.Alert)).ToContainTextAsync("used already");

        var shortLived = node.LoginUrl("viewer", validFor: "1s");
        await Task.Delay(2000);
        var expired = await other.GotoAsync(shortLived);
        Assert.Equal(401, expired!.Status);
        await Expect(other.GetByRole(AriaRole.Alert)).ToContainTextAsync("expired");
    }

    [Fact]
    public async Task The_fleet_view_shows_a_project_deployed_from_the_cli_and_updates_live_when_another_deploy_happens()
    {
        using var repo = new TestRepository();
        using var node = new DashboardNode();
        repo.WriteSleeper("v1", node.Cli.StateDir);
        var v1 = repo.CommitAndPush("v1");
        node.Cli.Add(repo, "shop");
        node.Cli.Add(repo, "blog");
        node.Cli.Run("deploy", "shop").ShouldExit(0);
        node.Start();

        var context = await _browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(node.LoginUrl("viewer"));
        var shop = page.Locator("table.fleet tbody tr", new() { HasText = "shop" });
        await Expect(shop).ToContainTextAsync("Healthy");
        await Expect(shop).ToContainTextAsync(v1[..10]);
        await Expect(page.Locator("table.fleet tbody tr", new() { HasText = "blog" })).ToContainTextAsync("never deployed");
        await Expect(page.Locator("#live-state")).ToHaveTextAsync("live");
        await Expect(page.Locator("[data-chart=cpu][data-project=shop] canvas")).ToBeAttachedAsync(new() { Timeout = 20_000 });
        await Browser.ScreenshotAsync(page, "fleet-1280x800");

        repo.WriteSleeper("v2", node.Cli.StateDir);
        var v2 = repo.CommitAndPush("v2");
        node.Cli.Run("deploy", "shop").ShouldExit(0);
        // Without reloading: the row follows within 5 s of the deploy ending.
        await Expect(shop).ToContainTextAsync(v2[..10], new() { Timeout = 5000 });
        node.Cli.Run("deploy", "blog").ShouldExit(0);
        await Expect(page.Locator("table.fleet tbody tr", new() { HasText = "blog" })).ToContainTextAsync("Healthy", new() { Timeout = 5000 });

        var phone = await (await _browser.NewContextAsync(390, 844)).NewPageAsync();
        await phone.GotoAsync(node.LoginUrl("viewer"));
        await Expect(phone.Locator("table.fleet td[data-label=Status]").First).ToBeVisibleAsync();
        await Browser.ScreenshotAsync(phone, "fleet-phone");
    }

    [Fact]
    public async Task A_deployment_log_appears_line_by_line_in_the_page_while_it_runs()
    {
        using var repo = new TestRepository();
        using var node = new DashboardNode();
        repo.WriteSleeper("v1", node.Cli.StateDir)
            .Write(".cicd/install.sh", "#!/bin/bash\nfor i in 1 2 3 4 5 6; do echo \"install line $i\"; sleep 1; done\n", executable: true)
            .CommitAndPush("v1");
        node.Cli.Add(repo, "shop");
        node.Start();
        var id = JsonDocument.Parse(node.Cli.Run("deploy", "shop", "--no-wait", "--json").ShouldExit(0).StdOut).RootElement.GetProperty("id").GetInt64();

        var page = await (await _browser.NewContextAsync()).NewPageAsync();
        await page.GotoAsync(node.LoginUrl("viewer"));
        await page.GotoAsync(node.Url($"/projects/shop?deployment={id}"));
        var log = page.Locator("#deployment-log");
        await Expect(log).ToContainTextAsync("install line 2", new() { Timeout = 60_000 });
        Assert.DoesNotContain("install line 6", await log.TextContentAsync()); // seen before the last line was written
        Assert.Equal(DeploymentStatus.Running, node.Cli.Deployments("shop").Single(d => d.Id == id).Status);
        await Expect(log).ToContainTextAsync("install line 6", new() { Timeout = 60_000 });
        await Expect(page.Locator("#deployment-end")).ToContainTextAsync("Succeeded", new() { Timeout = 60_000 });
        Assert.Equal(1, await log.Locator(".l", new() { HasText = "install line 3" }).CountAsync()); // each line once, as its own row
        await Browser.ScreenshotAsync(page, "project-log");
    }

    [Fact]
    public async Task An_operator_deploys_pins_and_rolls_back_from_the_page_after_confirming_and_the_cli_sees_it()
    {
        using var repo = new TestRepository();
        using var node = new DashboardNode();
        repo.WriteSleeper("v1", node.Cli.StateDir);
        var v1 = repo.CommitAndPush("v1");
        node.Cli.Add(repo, "shop");
        node.Cli.Run("deploy", "shop").ShouldExit(0);
        repo.WriteSleeper("v2", node.Cli.StateDir);
        var v2 = repo.CommitAndPush("v2");
        node.Start();

        var page = await (await _browser.NewContextAsync()).NewPageAsync();
        await page.GotoAsync(node.LoginUrl("operator"));
        await page.GotoAsync(node.Url("/projects/shop"));

        // Dismissing the confirmation sends nothing.
        string? asked = null;
        void Dismiss(object? _, IDialog d) { asked = d.Message; _ = d.DismissAsync(); }
        page.Dialog += Dismiss;
        await page.Locator("form[data-action=deploy] button").ClickAsync();
        await Task.Delay(500);
        Assert.Equal("Deploy shop?", asked);
        Assert.Single(node.Cli.Deployments("shop"));
        page.Dialog -= Dismiss;

        page.Dialog += (_, d) => _ = d.AcceptAsync();
        await page.Locator("form[data-action=deploy] button").ClickAsync();
        await Expect(page.Locator("#action-result")).ToContainTextAsync("Done: deploy of the branch tip requested");
        var deployed = node.Cli.Deployments("shop").OrderBy(d => d.Id).Last();
        node.Cli.WaitFor("shop", deployed.Id, d => d.Status == DeploymentStatus.Succeeded);
        Assert.Equal("v2", node.Cli.Serving);

        await page.Locator("form[data-action=pin] input[name=commit]").FillAsync(v1[..12]);
        await page.Locator("form[data-action=pin] button").ClickAsync();
        await Expect(page.Locator("#action-result")).ToContainTextAsync($"pinned to {v1}");
        Assert.Equal(v1, node.Cli.Projects().Single().PinnedCommit);
        var pinDeploy = node.Cli.Deployments("shop").OrderBy(d => d.Id).Last();
        node.Cli.WaitFor("shop", pinDeploy.Id, d => d.Status == DeploymentStatus.Succeeded);
        Assert.Equal("v1", node.Cli.Serving);

        await page.ReloadAsync();
        await page.Locator("form[data-action=rollback] select[name=commit]").SelectOptionAsync(v2);
        Assert.True(await page.Locator("form[data-action=rollback] input[name=pin]").IsCheckedAsync()); // pinned: the rollback moves the pin
        await page.Locator("form[data-action=rollback] button").ClickAsync();
        await Expect(page.Locator("#action-result")).ToContainTextAsync($"rollback to {v2} requested and pinned");
        var rollback = node.Cli.Deployments("shop").OrderBy(d => d.Id).Last();
        Assert.Equal(DeploymentTrigger.Rollback, rollback.Trigger);
        node.Cli.WaitFor("shop", rollback.Id, d => d.Status == DeploymentStatus.Succeeded);
        Assert.Equal(v2, node.Cli.Projects().Single().PinnedCommit);
        Assert.Equal("v2", node.Cli.Serving);
        Assert.Contains("by dashboard:session-", node.Cli.Run("events", "shop").ShouldExit(0).StdOut);
        await page.ReloadAsync();
        await Browser.ScreenshotAsync(page, "project-operator");
    }

    [Fact]
    public async Task A_viewer_has_no_action_buttons_and_the_api_refuses_its_actions()
    {
        using var repo = new TestRepository();
        using var node = new DashboardNode();
        repo.WriteSleeper("v1", node.Cli.StateDir).CommitAndPush("v1");
        node.Cli.Add(repo, "shop");
        node.Start();
        var page = await (await _browser.NewContextAsync()).NewPageAsync();
        await page.GotoAsync(node.LoginUrl("viewer"));
        await page.GotoAsync(node.Url("/projects/shop"));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "shop" })).ToBeVisibleAsync();
        Assert.Equal(0, await page.Locator("form.action").CountAsync());
        Assert.Equal(0, await page.GetByRole(AriaRole.Button, new() { Name = "Deploy" }).CountAsync());
        // Even with the page's own CSRF token, the API refuses a viewer.
        var status = await page.EvaluateAsync<int>("""
            async () => (await fetch('/api/projects/shop/deploy', { method: 'POST',
              headers: { 'X-CSRF-Token': document.querySelector('meta[name=csrf-token]').content } })).status
            """);
        Assert.Equal(403, status);
        Assert.Empty(node.Cli.Deployments("shop"));
        await Browser.ScreenshotAsync(page, "project-viewer");
    }

    [Fact]
    public async Task Csrf_is_required_and_a_stolen_cookie_used_from_another_origin_fails()
    {
        using var repo = new TestRepository();
        using var node = new DashboardNode();
        repo.WriteSleeper("v1", node.Cli.StateDir).CommitAndPush("v1");
        node.Cli.Add(repo, "shop");
        node.Start();
        var context = await _browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(node.LoginUrl("operator"));

        // Our own page without the token: refused.
        Assert.Equal(403, await page.EvaluateAsync<int>("async () => (await fetch('/api/projects/shop/deploy', { method: 'POST' })).status"));

        // A page on another origin, in the same browser (so the cookie is in the jar): the browser does not send a
        // SameSite=Strict cookie on its cross-site request, and the form post it can make without CORS fails too.
        await context.RouteAsync("http://evil.test/**", r => r.FulfillAsync(new() { ContentType = "text/html", Body = $$"""
            <form id="f" method="post" action="{{node.Url("/api/projects/shop/deploy")}}"></form>
            <script>
              fetch('{{node.Url("/api/projects/shop/deploy")}}', { method: 'POST', credentials: 'include', mode: 'no-cors' })
                .finally(() => document.getElementById('f').submit());
            </script>
            """ }));
        var evil = await context.NewPageAsync();
        var submitted = evil.WaitForResponseAsync(r => r.Url.EndsWith("/api/projects/shop/deploy", StringComparison.Ordinal) && r.Request.Method == "POST" && r.Request.IsNavigationRequest);
        await evil.GotoAsync("http://evil.test/");
        Assert.Equal(401, (await submitted).Status); // no cookie came with it

        // The cookie copied out of the browser, replayed from another origin even with a valid CSRF token: refused.
        var cookie = (await context.CookiesAsync()).Single();
        var csrf = await page.EvaluateAsync<string>("document.querySelector('meta[name=csrf-token]').content");
        var stolen = await node.PostAsync("/api/projects/shop/deploy", cookie: $"{cookie.Name}={cookie.Value}",
            headers: new Dictionary<string, string> { ["X-CSRF-Token"] = csrf, ["Origin"] = "http://evil.test" });
        Assert.Equal(403, stolen.Status);
        Assert.Empty(node.Cli.Deployments("shop"));
    }
}
