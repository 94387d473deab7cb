using CicdOps.Engine;
using CicdOps.Engine.Model;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Engine;

public sealed class RollbackTests
{
    [Fact]
    public void An_unhealthy_commit_is_rolled_back_and_the_previous_version_serves_again()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var good = repo.WriteSleeper("v1", h.StateDir).CommitAndPush("good");
        h.Register(repo, healthTimeout: TimeSpan.FromSeconds(2));
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));

        var bad = repo.WriteSleeper("v2", h.StateDir, healthy: false).CommitAndPush("bad");
        var d = h.Deploy("app");

        DeploymentAssert.Status(h, DeploymentStatus.RolledBack, d);
        Assert.Equal(bad, d.Commit);
        Assert.Equal(good, d.RolledBackTo);
        Assert.Contains("unhealthy", d.Reason);
        Assert.Equal("v1", h.Serving);
        var p = h.Engine.GetProject("app");
        Assert.Equal(good, p.CurrentCommit);
        Assert.Equal(good, p.LastGoodCommit);
        Assert.Equal(ProjectStatus.Healthy, p.Status);
        Assert.Contains(d.Stages, s => s.Rollback && s.Stage == DeploymentStage.Health && s.Outcome == StageOutcome.Succeeded);
        Assert.Equal("v1", File.ReadAllText(Path.Combine(EngineHarness.ServingTree(p), "VERSION")).Trim());
    }

    [Fact]
    public void A_run_sh_that_crashes_is_unhealthy_at_once_without_waiting_for_the_timeout()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        h.Register(repo, healthTimeout: TimeSpan.FromSeconds(30));
        h.Deploy("app");

        // health.sh looks for a marker only a started app writes, so it cannot pass on the old app's state.
        repo.Write(".cicd/run.sh", "#!/bin/bash\necho boom >&2\nexit 3\n")
            .Write(".cicd/health.sh", $"#!/bin/bash\ntest -f \"{h.StateDir}/started-$CICD_COMMIT\"\n").CommitAndPush("crash");
        var d = h.Deploy("app");

        DeploymentAssert.Status(h, DeploymentStatus.RolledBack, d);
        Assert.Contains("run.sh exited with code 3", d.Reason);
        Assert.True(d.Duration < TimeSpan.FromSeconds(20), $"took {d.Duration}");
    }

    [Fact]
    public void Without_a_last_good_commit_an_unhealthy_deploy_fails_and_leaves_nothing_running()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir, healthy: false).CommitAndPush();
        h.Register(repo, healthTimeout: TimeSpan.FromSeconds(1));

        var d = h.Deploy("app");

        DeploymentAssert.Status(h, DeploymentStatus.Failed, d);
        Assert.Contains("no last good commit", d.Reason);
        var p = h.Engine.GetProject("app");
        Assert.Equal(ProjectStatus.Failed, p.Status);
        Assert.Null(h.Engine.Context.Db.Read(c => CicdOps.Engine.State.ProjectStore.GetApp(c, "app")));
        var started = int.Parse(System.Text.RegularExpressions.Regex.Match(h.Log(d), @"started run.sh as pid (\d+)").Groups[1].Value);
        Assert.True(Processes.IsGone(started), "the unhealthy app must be stopped");
    }

    [Fact]
    public void When_the_rollback_fails_too_the_deployment_fails_with_both_reasons()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var breaker = Path.Combine(h.StateDir, "broken");
        repo.WriteSleeper("v1", h.StateDir)
            .Write(".cicd/health.sh", $"#!/bin/bash\ntest ! -f \"{breaker}\"\n").CommitAndPush();
        h.Register(repo, healthTimeout: TimeSpan.FromSeconds(1));
        h.Deploy("app");

        File.WriteAllText(breaker, ""); // from now on every version is unhealthy
        repo.WriteSleeper("v2", h.StateDir).Write(".cicd/health.sh", $"#!/bin/bash\ntest ! -f \"{breaker}\"\n").CommitAndPush();
        var d = h.Deploy("app");

        DeploymentAssert.Status(h, DeploymentStatus.Failed, d);
        Assert.Contains("rollback to", d.Reason);
        Assert.Equal(ProjectStatus.Failed, h.Engine.GetProject("app").Status);
    }

    [Fact]
    public void Manual_rollback_deploys_the_previous_successful_commit_and_can_pin_it()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var v1 = repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        h.Register(repo);
        h.Deploy("app");
        repo.WriteSleeper("v2", h.StateDir).CommitAndPush();
        h.Deploy("app");

        var d = h.Wait(h.Engine.Rollback("app", commit: null, pin: true, force: false));

        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, d);
        Assert.Equal(DeploymentTrigger.Rollback, d.Trigger);
        Assert.Equal(v1, d.Commit);
        Assert.Equal("v1", h.Serving);
        Assert.Equal(v1, h.Engine.GetProject("app").PinnedCommit);
    }

    [Fact]
    public void Rolling_back_to_a_commit_that_never_succeeded_needs_force()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        var never = repo.WriteSleeper("v0", h.StateDir).CommitAndPush("never deployed");
        repo.WriteSleeper("v2", h.StateDir).CommitAndPush();
        h.Register(repo);
        h.Deploy("app");

        var e = Assert.Throws<CicdException>(() => h.Engine.Rollback("app", never, pin: false, force: false));
        Assert.Equal("CicdCommitNeverDeployed", e.ErrorId);
        Assert.Single(h.Engine.GetDeployments("app"));

        var forced = h.Wait(h.Engine.Rollback("app", never[..10], pin: false, force: true));
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, forced);
        Assert.Equal(never, forced.Commit);
        Assert.Equal("v0", h.Serving);
    }

    [Fact]
    public void Rollback_without_an_earlier_success_is_a_clear_error()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        h.Register(repo);
        h.Deploy("app");

        var e = Assert.Throws<CicdException>(() => h.Engine.Rollback("app", null, false, false));

        Assert.Equal("CicdNoRollbackTarget", e.ErrorId);
    }
}
