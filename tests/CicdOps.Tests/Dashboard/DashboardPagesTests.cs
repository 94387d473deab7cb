using System.Text.Json;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Dashboard;

/// <summary>The deliveries-and-events and pipelines pages over HTTP with a session, on a real listener and real runs.</summary>
[Collection("cli")]
public sealed class DashboardPagesTests
{
    [Fact]
    public async Task The_activity_page_shows_who_acted_and_the_pipelines_page_shows_each_runs_steps()
    {
        using var repo = new TestRepository();
        using var node = new DashboardNode();
        repo.WriteSleeper("v1", node.Cli.StateDir)
            .Write(".cicd/pipeline.json", """{"steps": [{"name": "unit-tests", "run": "true"}, {"name": "lint <fast>", "run": "false"}]}""")
            .CommitAndPush("v1");
        node.Cli.Add(repo, "shop");
        node.Cli.Run("pipeline", "run", "shop"); // the second step fails: the run is Failed
        var ops = node.CreateToken("operate", "ops-bot");
        node.Start();
        Assert.Equal(202, (await node.PostAsync("/api/projects/shop/pin", ops, $$"""{"commit":"{{repo.Git("rev-parse", "HEAD").Trim()}}"}""")).Status);

        var (cookie, _) = await node.SignInAsync("viewer");
        var activity = await node.GetAsync("/activity", cookie: cookie);
        Assert.Equal(200, activity.Status);
        Assert.Contains("by token:ops-bot", activity.Body);
        Assert.Contains("<span class=\"badge s-info\">Operator</span>", activity.Body);

        var pipelines = await node.GetAsync("/pipelines", cookie: cookie);
        Assert.Equal(200, pipelines.Status);
        Assert.Contains("<details class=\"run\">", pipelines.Body);
        Assert.Contains("<span class=\"badge s-bad\">Failed</span>", pipelines.Body);
        Assert.Contains("unit-tests", pipelines.Body);
        Assert.Contains("lint &lt;fast&gt;", pipelines.Body);
        var runs = JsonDocument.Parse((await node.GetAsync("/api/projects/shop/pipeline-runs", cookie: cookie)).Body).RootElement;
        Assert.Equal(2, runs[0].GetProperty("steps").GetArrayLength());
        Assert.False(runs[0].TryGetProperty("logDirectory", out _));
    }
}
