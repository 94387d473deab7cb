using System.Net;
using System.Text;
using CicdOps.Engine.Listener;
using CicdOps.Engine.Model;
using CicdOps.Tests.Cli;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Pipelines;

/// <summary>
/// A project that requires its pipeline: a real push delivery to the real listener deploys the commit only after
/// its pipeline run succeeded; a failing run records the deployment Skipped with the run's id and leaves the app be.
/// </summary>
public sealed class GatedDeployTests
{
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("gated-test-secret");

    private static TestRepository WriteVersion(TestRepository repo, string version, string tests, string stateDir)
    {
        repo.WriteSleeper(version, stateDir);
        repo.Write("TESTS", tests + "\n");
        repo.Write(".cicd/pipeline.json", """{"steps": [{"name": "tests", "run": "grep -qx ok TESTS"}]}""");
        return repo;
    }

    [Fact]
    public async Task A_push_deploys_only_after_a_green_run_and_a_red_run_skips_the_deploy_naming_the_run()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var v1 = WriteVersion(repo, "v1", "ok", h.StateDir).CommitAndPush();
        h.Register(repo);
        Assert.True(h.Engine.UpdateProject("app", new ProjectUpdate { RequirePipeline = true }).RequirePipeline);
        await using var listener = await SignedPushListener.Start(h, Secret);

        Assert.Equal(HttpStatusCode.Accepted, await listener.Push(repo, v1, "g1"));
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Wait(Latest(h)));
        var green = Assert.Single(h.Engine.GetPipelineRuns("app"));
        Assert.Equal((PipelineRunStatus.Succeeded, v1, "push"), (green.Status, green.Commit, green.Event));
        Assert.Equal("v1", h.Serving);
        Assert.Contains($"run {green.RunId} Succeeded", h.Log(Latest(h)));

        var v2 = WriteVersion(repo, "v2", "broken", h.StateDir).CommitAndPush();
        Assert.Equal(HttpStatusCode.Accepted, await listener.Push(repo, v2, "g2"));
        var skipped = h.Wait(Latest(h));
        DeploymentAssert.Status(h, DeploymentStatus.Skipped, skipped);
        var red = h.Engine.GetPipelineRuns("app")[0];
        Assert.Equal((PipelineRunStatus.Failed, v2), (red.Status, red.Commit));
        Assert.Equal($"pipeline run {red.RunId} Failed: step 'tests': command exited with code 1", skipped.Reason);
        Assert.Equal("v1", h.Serving);
        Assert.Equal(v1, h.Engine.GetProject("app").CurrentCommit);
        Assert.Equal(ProjectStatus.Healthy, h.Engine.GetProject("app").Status);
    }

    private static Deployment Latest(EngineHarness h) => h.Engine.GetDeployments("app").MaxBy(d => d.Id)!;
}
