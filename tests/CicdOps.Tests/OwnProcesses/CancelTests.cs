using CicdOps.Engine.Model;
using CicdOps.Tests.Engine;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.OwnProcesses;

/// <summary>A cancel after the old app was stopped (during Run or Health) never leaves the project silently down.</summary>
public sealed class CancelTests
{
    [Fact]
    public void Cancel_during_health_puts_the_last_good_version_back()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var v1 = repo.WriteSleeper("v1", h.StateDir).CommitAndPush("v1");
        h.Register(repo, healthTimeout: TimeSpan.FromSeconds(60));
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
        var checking = Path.Combine(h.StateDir, "checking");
        repo.WriteSleeper("v2", h.StateDir)
            .Write(".cicd/health.sh", $"#!/bin/bash\ntouch \"{checking}\"\nsleep 60\n").CommitAndPush("v2 never answers");

        var d = h.Engine.RequestDeployment(new DeploymentRequest { Project = "app" });
        QueueTests.WaitFor(() => File.Exists(checking));
        h.Engine.CancelDeployment("app");
        var done = h.Wait(d);

        DeploymentAssert.Status(h, DeploymentStatus.Cancelled, done);
        Assert.Equal(v1, done.RolledBackTo);
        Assert.Contains("serves again", done.Reason);
        var p = h.Engine.GetProject("app");
        Assert.Equal(ProjectStatus.Healthy, p.Status);
        Assert.Equal(v1, p.CurrentCommit);
        Assert.Equal("v1", h.Serving);
        Assert.True(Processes.IsRunning(FirstDeployTests.AppPid(h)), "the last good version runs again");
    }

    [Fact]
    public void Cancel_during_health_without_a_last_good_version_says_nothing_serves()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var checking = Path.Combine(h.StateDir, "checking");
        repo.WriteSleeper("v1", h.StateDir)
            .Write(".cicd/health.sh", $"#!/bin/bash\ntouch \"{checking}\"\nsleep 60\n").CommitAndPush();
        h.Register(repo, healthTimeout: TimeSpan.FromSeconds(60));

        var d = h.Engine.RequestDeployment(new DeploymentRequest { Project = "app" });
        QueueTests.WaitFor(() => File.Exists(checking));
        h.Engine.CancelDeployment("app");
        var done = h.Wait(d);

        DeploymentAssert.Status(h, DeploymentStatus.Cancelled, done);
        Assert.Contains("nothing serves", done.Reason);
        var p = h.Engine.GetProject("app");
        Assert.Equal(ProjectStatus.Stopped, p.Status);
        Assert.Null(p.CurrentCommit);
    }
}
