using System.Text.Json;
using CicdOps.Tests.Api;
using CicdOps.Tests.Cli;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Dashboard;

/// <summary>
/// The project API on a real listener (loopback, free port), a real engine and real git repositories: reads with a
/// read token, actions with an operate token, each action recorded with the token's name, and the log stream.
/// </summary>
[Collection("cli")]
public sealed class ProjectApiTests
{
    [Fact]
    public async Task A_read_token_reads_projects_deployments_logs_deliveries_events_and_runs_but_cannot_act()
    {
        using var repo = new TestRepository();
        using var node = new DashboardNode();
        repo.WriteSleeper("v1", node.Cli.StateDir).CommitAndPush("v1");
        node.Cli.Add(repo, "shop");
        node.Cli.Run("deploy", "shop").ShouldExit(0);
        var read = node.CreateToken("read", "reader");
        node.Start(dashboard: false);

        Assert.Equal(401, (await node.GetAsync("/api/projects")).Status);
        var projects = await node.GetAsync("/api/projects", read);
        Assert.Equal(200, projects.Status);
        using (var doc = JsonDocument.Parse(projects.Body))
        {
            var shop = Assert.Single(doc.RootElement.EnumerateArray());
            Assert.Equal("shop", shop.GetProperty("project").GetProperty("name").GetString());
            Assert.Equal("Healthy", shop.GetProperty("project").GetProperty("status").GetString());
            Assert.Equal("Succeeded", shop.GetProperty("lastDeployment").GetProperty("status").GetString());
        }
        var deployments = await node.GetAsync("/api/projects/shop/deployments", read);
        Assert.Equal(200, deployments.Status);
        Assert.DoesNotContain("logPath", deployments.Body); // server paths stay on the server
        var id = JsonDocument.Parse(deployments.Body).RootElement[0].GetProperty("id").GetInt64();
        var log = await node.GetAsync($"/api/deployments/{id}/log", read);
        Assert.Equal(200, log.Status);
        using (var doc = JsonDocument.Parse(log.Body))
        {
            Assert.True(doc.RootElement.GetProperty("finished").GetBoolean());
            Assert.Contains("[deploy]", doc.RootElement.GetProperty("text").GetString());
        }
        Assert.Contains("starting v1", (await node.GetAsync("/api/projects/shop/applog", read)).Body);
        Assert.Equal(200, (await node.GetAsync("/api/deliveries", read)).Status);
        Assert.Equal(200, (await node.GetAsync("/api/projects/shop/deliveries", read)).Status);
        Assert.Equal(200, (await node.GetAsync("/api/events?project=shop", read)).Status);
        Assert.Equal("[]", (await node.GetAsync("/api/projects/shop/pipeline-runs", read)).Body);
        Assert.Equal(200, (await node.GetAsync("/api/telemetry", read)).Status);

        Assert.Equal(404, (await node.GetAsync("/api/projects/nope", read)).Status);
        Assert.Equal(400, (await node.GetAsync("/api/deployments/abc/log", read)).Status);
        Assert.Equal(405, (await node.GetAsync("/api/projects/shop/deploy", read)).Status);
        var refused = await node.PostAsync("/api/projects/shop/deploy", read);
        Assert.Equal(403, refused.Status);
        Assert.Contains("operate", refused.Body);
        Assert.Single(node.Cli.Deployments("shop")); // nothing was queued
    }

    [Fact]
    public async Task An_operate_token_deploys_pins_rolls_back_and_cancels_and_every_action_names_the_token()
    {
        using var repo = new TestRepository();
        using var node = new DashboardNode();
        repo.WriteSleeper("v1", node.Cli.StateDir);
        var v1 = repo.CommitAndPush("v1");
        node.Cli.Add(repo, "shop");
        node.Cli.Run("deploy", "shop").ShouldExit(0);
        repo.WriteSleeper("v2", node.Cli.StateDir);
        var v2 = repo.CommitAndPush("v2");
        var ops = node.CreateToken("operate", "ops-bot");
        node.Start(dashboard: false);

        var deploy = await node.PostAsync("/api/projects/shop/deploy", ops);
        Assert.Equal(202, deploy.Status);
        var id = JsonDocument.Parse(deploy.Body).RootElement.GetProperty("result").GetProperty("id").GetInt64();
        node.Cli.WaitFor("shop", id, d => d.Status == DeploymentStatus.Succeeded);
        Assert.Equal("v2", node.Cli.Serving);

        var pin = await node.PostAsync("/api/projects/shop/pin", ops, $$"""{"commit":"{{v1[..10]}}"}""");
        Assert.Equal(202, pin.Status);
        var pinDeployment = JsonDocument.Parse(pin.Body).RootElement.GetProperty("result").GetProperty("deployment").GetProperty("id").GetInt64();
        node.Cli.WaitFor("shop", pinDeployment, d => d.Status == DeploymentStatus.Succeeded);
        Assert.Equal(v1, node.Cli.Projects().Single().PinnedCommit);
        Assert.Equal("v1", node.Cli.Serving);

        // Pinned: a rollback without pin is refused with the engine's reason; with pin it moves the pin.
        var notPinned = await node.PostAsync("/api/projects/shop/rollback", ops, $$"""{"commit":"{{v2}}"}""");
        Assert.Equal(409, notPinned.Status);
        Assert.Contains("pinned", notPinned.Body);
        var back = await node.PostAsync("/api/projects/shop/rollback", ops, $$"""{"commit":"{{v2}}","pin":true}""");
        Assert.Equal(202, back.Status);
        var backId = JsonDocument.Parse(back.Body).RootElement.GetProperty("result").GetProperty("id").GetInt64();
        node.Cli.WaitFor("shop", backId, d => d.Status == DeploymentStatus.Succeeded);
        Assert.Equal(v2, node.Cli.Projects().Single().PinnedCommit);

        Assert.Equal(202, (await node.PostAsync("/api/projects/shop/unpin", ops)).Status);
        Assert.Null(node.Cli.Projects().Single().PinnedCommit);
        Assert.Equal(409, (await node.PostAsync("/api/projects/shop/cancel", ops)).Status); // nothing runs
        Assert.Equal(400, (await node.PostAsync("/api/projects/shop/deploy", ops, """{"comit":"abc"}""")).Status);
        Assert.Equal(400, (await node.PostAsync("/api/projects/shop/deploy", ops, "{not json")).Status);

        var events = node.Cli.Run("events", "shop", "--json").ShouldExit(0).StdOut;
        foreach (var what in new[] { "deploy of the branch tip requested", $"pinned to {v1}", $"rollback to {v2} requested and pinned", "unpinned" })
            Assert.Contains($"{what}", events);
        Assert.Contains("by token:ops-bot", events);
    }

    [Fact]
    public async Task The_log_stream_sends_a_running_deployments_lines_as_they_are_written_then_its_outcome()
    {
        using var repo = new TestRepository();
        using var node = new DashboardNode();
        repo.WriteSleeper("v1", node.Cli.StateDir)
            .Write(".cicd/install.sh", "#!/bin/bash\nfor i in 1 2 3 4 5 6; do echo \"install line $i\"; sleep 1; done\n", executable: true)
            .CommitAndPush("v1");
        node.Cli.Add(repo, "shop");
        var read = node.CreateToken("read", "reader");
        var ops = node.CreateToken("operate", "ops");
        node.Start(dashboard: false);

        var id = JsonDocument.Parse((await node.PostAsync("/api/projects/shop/deploy", ops)).Body).RootElement.GetProperty("result").GetProperty("id").GetInt64();
        await using var stream = await SseClient.OpenAsync(node.Url($"/api/stream/deployments/{id}/log"), read);
        Assert.Equal(200, stream.StatusCode);
        var first = await stream.WaitForAsync(e => e.Name == "log" && e.Data.Contains("install line 1"));
        // Line 1 arrived while the deployment was still running (and before the last line was written).
        var now = node.Cli.Deployments("shop").Single(d => d.Id == id);
        Assert.Equal(DeploymentStatus.Running, now.Status);
        Assert.DoesNotContain("install line 6", node.Cli.Run("logs", "shop", "--deployment", id.ToString()).StdOut);
        var end = await stream.WaitForAsync(e => e.Name == "end");
        Assert.Contains("\"status\":\"Succeeded\"", end.Data);

        // Resuming after line 1's id replays only what followed it.
        await using var resumed = await SseClient.OpenAsync(node.Url($"/api/stream/deployments/{id}/log"), read, first.Id);
        var lines = new List<string>();
        SseEvent e;
        while ((e = await resumed.WaitForAsync(x => x.Name is "log" or "end")).Name == "log") lines.Add(e.Data);
        Assert.DoesNotContain(lines, l => l.Contains("install line 1"));
        Assert.Contains(lines, l => l.Contains("install line 6"));
    }
}
