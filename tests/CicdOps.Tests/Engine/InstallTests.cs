using CicdOps.Engine.Model;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Engine;

public sealed class InstallTests
{
    private static string Counter(EngineHarness h) => Path.Combine(h.StateDir, "installs");

    private static TestRepository WithInstall(TestRepository repo, EngineHarness h, string marker) =>
        repo.Write(".cicd/install.sh", $"#!/bin/bash\n# {marker}\necho installing\necho x >> \"{Counter(h)}\"\n");

    private static int Installs(EngineHarness h) => File.Exists(Counter(h)) ? File.ReadAllLines(Counter(h)).Length : 0;

    [Fact]
    public void Install_runs_on_first_deploy_is_skipped_when_unchanged_and_reruns_when_changed()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        WithInstall(repo.WriteSleeper("v1", h.StateDir), h, "a").CommitAndPush();
        // In place: the one tree keeps what install.sh made (with releases each new release installs; see ReleaseTests).
        h.Register(repo, keepReleases: 0);

        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
        Assert.Equal(1, Installs(h));

        repo.WriteSleeper("v2", h.StateDir).CommitAndPush("app change only");
        var second = h.Deploy("app");
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, second);
        Assert.Equal(1, Installs(h));
        Assert.Equal(StageOutcome.Skipped, second.Stages.Single(s => s.Stage == DeploymentStage.Install).Outcome);

        WithInstall(repo.WriteSleeper("v3", h.StateDir), h, "b").CommitAndPush("install change");
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
        Assert.Equal(2, Installs(h));
    }

    [Fact]
    public void ForceInstall_runs_install_even_when_unchanged()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        WithInstall(repo.WriteSleeper("v1", h.StateDir), h, "a").CommitAndPush();
        h.Register(repo);
        h.Deploy("app");

        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app", forceInstall: true));

        Assert.Equal(2, Installs(h));
    }

    [Fact]
    public void A_failed_install_does_not_store_its_hash_so_the_next_deploy_retries_it()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var flag = Path.Combine(h.StateDir, "install-ok");
        repo.WriteSleeper("v1", h.StateDir)
            .Write(".cicd/install.sh", $"#!/bin/bash\ntest -f \"{flag}\"\n").CommitAndPush();
        h.Register(repo);

        var failed = h.Deploy("app");
        DeploymentAssert.Status(h, DeploymentStatus.Failed, failed);
        Assert.Contains("install.sh exited with code 1", failed.Reason);
        Assert.Null(h.Engine.GetProject("app").InstallScriptHash);

        File.WriteAllText(flag, "");
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
        Assert.NotNull(h.Engine.GetProject("app").InstallScriptHash);
    }

    [Fact]
    public void An_install_that_outlives_its_timeout_is_stopped_with_everything_it_started()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var childPidFile = Path.Combine(h.StateDir, "child.pid");
        repo.WriteSleeper("v1", h.StateDir)
            .Write(".cicd/install.sh", $"#!/bin/bash\nsleep 120 &\necho $! > \"{childPidFile}\"\nwait\n").CommitAndPush();
        h.Register(repo, installTimeout: TimeSpan.FromSeconds(1));

        var d = h.Deploy("app");

        DeploymentAssert.Status(h, DeploymentStatus.Failed, d);
        Assert.Contains("install.sh timed out", d.Reason);
        var child = int.Parse(File.ReadAllText(childPidFile).Trim());
        Assert.True(Processes.IsGone(child), "the install's background child must be stopped too");
    }
}
