using CicdOps.Engine.Model;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Engine;

public sealed class FirstDeployTests
{
    [Fact]
    public void First_deploy_clones_runs_and_becomes_healthy()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var sha = repo.WriteSleeper("v1", h.StateDir).CommitAndPush("v1");
        h.Register(repo);

        var d = h.Deploy("app");

        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, d);
        Assert.Equal(sha, d.Commit);
        Assert.Equal("v1", h.Serving);
        var p = h.Engine.GetProject("app");
        Assert.Equal(ProjectStatus.Healthy, p.Status);
        Assert.Equal(sha, p.CurrentCommit);
        Assert.Equal(sha, p.LastGoodCommit);
        Assert.Equal(new[] { DeploymentStage.Sync, DeploymentStage.Install, DeploymentStage.Stop, DeploymentStage.Run, DeploymentStage.Health },
            d.Stages.Select(s => s.Stage));
        Assert.Contains("starting v1 commit " + sha, h.AppLog("app", "starting v1 commit " + sha));
    }

    [Fact]
    public void A_new_commit_replaces_the_running_app()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush("v1");
        h.Register(repo);
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
        var firstPid = AppPid(h);

        var v2 = repo.WriteSleeper("v2", h.StateDir).CommitAndPush("v2");
        var d = h.Deploy("app");

        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, d);
        Assert.Equal(v2, h.Engine.GetProject("app").CurrentCommit);
        Assert.Equal("v2", h.Serving);
        Assert.False(Directory.Exists($"/proc/{firstPid}") && !File.ReadAllText($"/proc/{firstPid}/stat").Contains(") Z "),
            "the v1 app must have been stopped");
    }

    internal static int AppPid(EngineHarness h) =>
        h.Engine.Context.Db.Read(c => CicdOps.Engine.State.ProjectStore.GetApp(c, "app"))!.Pid;
}
