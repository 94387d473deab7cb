using CicdOps.Engine.Model;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Engine;

public sealed class QueueTests
{
    [Fact]
    public void A_burst_of_five_requests_runs_at_most_twice_and_the_last_commit_wins()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var commits = Enumerable.Range(1, 5).Select(i => repo.WriteSleeper($"v{i}", h.StateDir).CommitAndPush($"v{i}")).ToList();
        h.Register(repo);

        var requests = commits.Select(sha => h.Engine.RequestDeployment(new DeploymentRequest { Project = "app", Commit = sha })).ToList();
        var last = h.Wait(requests[^1]);

        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, last);
        Assert.Equal(commits[^1], last.Commit);
        Assert.Equal("v5", h.Serving);
        var all = h.Engine.GetDeployments("app");
        Assert.InRange(all.Count(d => d.StartedAt is not null), 1, 2);
        Assert.Equal(5 - all.Count(d => d.StartedAt is not null), all.Count(d => d.Status == DeploymentStatus.Superseded));
        // Waiting on a superseded request follows it to the deployment that replaced it, and on while that one was
        // replaced too. (Which requests ran depends on when the runner took the first one, so follow the records.)
        var superseded = requests.Select(r => h.Engine.GetDeployment(r.Id)).Last(d => d.Status == DeploymentStatus.Superseded);
        var end = superseded;
        while (end.Status == DeploymentStatus.Superseded) end = h.Engine.GetDeployment(end.SupersededBy!.Value);
        Assert.True(end.Id > superseded.Id);
        Assert.Equal(end.Id, h.Wait(superseded).Id);
    }

    [Fact]
    public void A_burst_longer_than_a_deploy_still_runs_at_most_twice_and_the_last_commit_wins()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        // Each deploy's health check takes 2.5 s, so the ~1.8 s burst stays inside the first deploy however fast the
        // rest of the deploy path gets: the first request runs, the others wait and supersede each other.
        var commits = Enumerable.Range(1, 12).Select(i => repo.WriteSleeper($"v{i}", h.StateDir)
            .Write(".cicd/health.sh", $"#!/bin/bash\nsleep 2.5\ngrep -qx 'v{i}' \"{h.StateDir}/serving\"\n").CommitAndPush($"v{i}")).ToList();
        h.Register(repo);

        // One request every 150 ms for ~1.8 s.
        var requests = new List<Deployment>();
        foreach (var sha in commits)
        {
            requests.Add(h.Engine.RequestDeployment(new DeploymentRequest { Project = "app", Commit = sha }));
            Thread.Sleep(150);
        }
        var last = h.Wait(requests[^1]);

        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, last);
        Assert.Equal(commits[^1], last.Commit);
        Assert.InRange(h.Engine.GetDeployments("app").Count(d => d.StartedAt is not null), 1, 2);
    }

    [Fact]
    public void While_pinned_requests_are_skipped_and_unpinning_resumes()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var v1 = repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        h.Register(repo);
        h.Deploy("app");

        var pin = h.Engine.Pin("app", null);
        Assert.Null(pin.Deployment); // already current: nothing to deploy
        Assert.Equal(v1, pin.Project.PinnedCommit);

        var v2 = repo.WriteSleeper("v2", h.StateDir).CommitAndPush();
        var skipped = h.Engine.RequestDeployment(new DeploymentRequest { Project = "app" });
        Assert.Equal(DeploymentStatus.Skipped, skipped.Status);
        Assert.Contains("pinned", skipped.Reason);
        Assert.Equal("v1", h.Serving);

        h.Engine.Unpin("app");
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
        Assert.Equal(v2, h.Engine.GetProject("app").CurrentCommit);
    }

    [Fact]
    public void Pinning_another_commit_deploys_it_and_stores_the_full_sha()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var v1 = repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        repo.WriteSleeper("v2", h.StateDir).CommitAndPush();
        h.Register(repo);
        h.Deploy("app");
        Assert.Equal("v2", h.Serving);

        var pin = h.Engine.Pin("app", v1[..8]);
        var d = h.Wait(pin.Deployment!);

        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, d);
        Assert.Equal(DeploymentTrigger.Pin, d.Trigger);
        Assert.Equal("v1", h.Serving);
        Assert.Equal(v1, h.Engine.GetProject("app").PinnedCommit);
    }

    [Fact]
    public void Cancelling_a_waiting_deployment_removes_it_from_the_queue()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var gate = Path.Combine(h.StateDir, "gate");
        repo.WriteSleeper("v1", h.StateDir)
            .Write(".cicd/install.sh", $"#!/bin/bash\nwhile [ ! -f \"{gate}\" ]; do sleep 0.05; done\n").CommitAndPush();
        h.Register(repo);
        var running = h.Engine.RequestDeployment(new DeploymentRequest { Project = "app" });
        WaitFor(() => h.Engine.GetDeployment(running.Id).Stage == DeploymentStage.Install);
        var waiting = h.Engine.RequestDeployment(new DeploymentRequest { Project = "app" });

        var cancelled = h.Engine.CancelDeployment("app");

        Assert.Equal(waiting.Id, cancelled.Id);
        Assert.Equal(DeploymentStatus.Cancelled, cancelled.Status);
        File.WriteAllText(gate, "");
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Wait(running));
        Assert.Equal(DeploymentStatus.Cancelled, h.Engine.GetDeployment(waiting.Id).Status);
    }

    [Fact]
    public void Cancelling_a_running_deployment_stops_its_processes()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var pidFile = Path.Combine(h.StateDir, "install.pid");
        repo.WriteSleeper("v1", h.StateDir)
            .Write(".cicd/install.sh", $"#!/bin/bash\necho $$ > \"{pidFile}\"\nsleep 120\n").CommitAndPush();
        h.Register(repo);
        var d = h.Engine.RequestDeployment(new DeploymentRequest { Project = "app" });
        WaitFor(() => File.Exists(pidFile) && File.ReadAllText(pidFile).EndsWith('\n'));
        var installPid = int.Parse(File.ReadAllText(pidFile).Trim());

        h.Engine.CancelDeployment("app");
        var done = h.Wait(d);

        DeploymentAssert.Status(h, DeploymentStatus.Cancelled, done);
        Assert.True(Processes.IsGone(installPid), "install.sh must be stopped");
        Assert.Equal(StageOutcome.Cancelled, done.Stages.Single(s => s.Stage == DeploymentStage.Install).Outcome);
    }

    internal static void WaitFor(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not met in 30 s");
            Thread.Sleep(20);
        }
    }
}
