using CicdOps.Engine.Model;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Engine;

public sealed class SyncTests
{
    [Fact]
    public void Local_modifications_are_saved_as_a_patch_named_in_the_log_before_the_reset()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).Write("config.txt", "original\n").CommitAndPush();
        // In place: the reset discards the edit (with releases the edited release is kept; see ReleaseTests).
        var tree = h.Register(repo, keepReleases: 0).Path;
        h.Deploy("app");
        File.WriteAllText(Path.Combine(tree, "config.txt"), "hot-fix made on the server\n");

        repo.WriteSleeper("v2", h.StateDir).CommitAndPush();
        var d = h.Deploy("app");

        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, d);
        Assert.Equal("original", File.ReadAllText(Path.Combine(tree, "config.txt")).Trim());
        var patch = Directory.GetFiles(Path.Combine(h.DataPath, "patches", "app")).Single();
        Assert.Contains("+hot-fix made on the server", File.ReadAllText(patch));
        Assert.Contains(patch, h.Log(d));
        // The saved patch applies back cleanly: the hot-fix is recoverable.
        Run.Command("git", tree, "apply", patch);
        Assert.Equal("hot-fix made on the server", File.ReadAllText(Path.Combine(tree, "config.txt")).Trim());
    }

    [Fact]
    public void A_specific_commit_can_be_deployed_by_sha()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var v1 = repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        repo.WriteSleeper("v2", h.StateDir).CommitAndPush();
        h.Register(repo);

        var d = h.Deploy("app", commit: v1[..7]);

        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, d);
        Assert.Equal(v1, d.Commit);
        Assert.Equal("v1", h.Serving);
    }

    [Fact]
    public void An_unknown_commit_fails_the_deployment_and_the_running_app_keeps_serving()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        h.Register(repo);
        h.Deploy("app");
        var pid = FirstDeployTests.AppPid(h);

        var d = h.Deploy("app", commit: new string('a', 40));

        DeploymentAssert.Status(h, DeploymentStatus.Failed, d);
        Assert.Contains("was not found", d.Reason);
        Assert.True(Processes.IsRunning(pid));
        Assert.Equal(ProjectStatus.Healthy, h.Engine.GetProject("app").Status);
    }

    [Fact]
    public void A_repository_that_became_unreachable_fails_the_deployment_with_gits_reason()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        h.Register(repo);
        h.Deploy("app");
        Directory.Move(repo.BarePath, repo.BarePath + ".moved");

        var d = h.Deploy("app");

        DeploymentAssert.Status(h, DeploymentStatus.Failed, d);
        Assert.Contains("git fetch failed", d.Reason);
        Assert.Equal("v1", h.Serving);
    }
}
