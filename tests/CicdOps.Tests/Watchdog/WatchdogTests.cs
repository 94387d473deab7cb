using CicdOps.Engine.State;
using CicdOps.Engine.Model;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Watchdog;

/// <summary>The watchdog against real apps, processes and signals (as root: real accounts and cgroups).</summary>
public sealed class WatchdogTests
{
    [Fact]
    public void An_app_killed_by_SIGKILL_is_restarted_with_backoff_and_the_restarts_are_recorded_with_trigger_Watchdog()
    {
        using var repo = new TestRepository();
        using var m = new MonitorHarness();
        repo.WriteSleeper("v1", m.H.StateDir).CommitAndPush("v1");
        m.H.Register(repo);
        DeploymentAssert.Status(m.H, DeploymentStatus.Succeeded, m.H.Deploy("app"));
        m.StartMonitor();

        for (var round = 1; round <= 2; round++)
        {
            var pid = m.AppPid("app")!.Value;
            Run.Command("kill", null, "-KILL", pid.ToString());
            m.WaitUntil(() => m.WatchdogDeployments("app").Count(d => d.Status == DeploymentStatus.Succeeded) == round, $"restart {round}");
            m.WaitUntil(() => m.Engine.GetProject("app").Status == ProjectStatus.Healthy, "healthy again");
            var newPid = m.AppPid("app")!.Value;
            Assert.NotEqual(pid, newPid);
            Assert.True(Processes.IsRunning(newPid));
        }

        var restarts = m.WatchdogDeployments("app");
        Assert.Equal(2, restarts.Count);
        Assert.All(restarts, d => Assert.Equal(m.Engine.GetProject("app").CurrentCommit, d.Commit));
        // Not yet healthy for ResetAfterHealthy between the two: the second waited twice as long (base 0.2 s).
        m.WaitUntil(() => m.Events("app").Count(e => e.Kind == CicdEventKind.Recovered) == 2, "two recovered events");
        Assert.Contains("restart in 0.2 s", m.LogText);
        Assert.Contains("restart in 0.4 s", m.LogText);
        var kinds = m.Events("app").Select(e => e.Kind).ToList();
        Assert.Equal(new[]
        {
            CicdEventKind.Unhealthy, CicdEventKind.Restarting, CicdEventKind.Recovered,
            CicdEventKind.Unhealthy, CicdEventKind.Restarting, CicdEventKind.Recovered,
        }, kinds);
        Assert.Contains("the app died", m.Events("app")[0].Message);
        Assert.Equal(2, m.Engine.GetTelemetry().Apps.Single(a => a.Project == "app").Restarts);
        // Each turn is also a notification, written with the event (the outbox's rule), with the commit serving.
        var commit = m.Engine.GetProject("app").CurrentCommit;
        Assert.Equal(new[] { ("WatchdogUnhealthy", commit), ("WatchdogRecovered", commit), ("WatchdogUnhealthy", commit), ("WatchdogRecovered", commit) },
            WatchdogNotifications(m));
    }

    private static (string Kind, string? Commit)[] WatchdogNotifications(MonitorHarness m) =>
        new Database(m.H.DataPath).Read(c => c.Query(
            "SELECT kind, commit_sha FROM notification_outbox WHERE project = 'app' AND kind LIKE 'Watchdog%' ORDER BY id",
            r => (r.Str("kind")!, r.Str("commit_sha")))).ToArray();

    [Fact]
    public void A_crash_looping_app_stops_being_restarted_after_the_limit_with_a_gave_up_event()
    {
        using var repo = new TestRepository();
        using var m = new MonitorHarness(maxRestarts: 3);
        var crash = Path.Combine(m.H.StateDir, "crash");
        repo.WriteSleeper("v1", m.H.StateDir)
            .Write(".cicd/run.sh", $$"""
                #!/bin/bash
                if [ -e "{{crash}}" ]; then echo "crashing"; exit 3; fi
                cat VERSION > "{{m.H.StateDir}}/serving"
                exec sleep 300
                """)
            // Health fails while it crashes (run.sh may exit after a first check passed: the verdict must not depend on that race).
            .Write(".cicd/health.sh", $"#!/bin/bash\n[ ! -e '{crash}' ] && grep -qx v1 '{m.H.StateDir}/serving'\n")
            .CommitAndPush("v1");
        m.H.Register(repo);
        DeploymentAssert.Status(m.H, DeploymentStatus.Succeeded, m.H.Deploy("app"));
        m.StartMonitor();

        File.WriteAllText(crash, "");
        Run.Command("kill", null, "-KILL", m.AppPid("app")!.Value.ToString());

        m.WaitUntil(() => m.Events("app").Any(e => e.Kind == CicdEventKind.GaveUp), "the watchdog gives up");
        Assert.Equal(ProjectStatus.Failed, m.Engine.GetProject("app").Status);
        var restarts = m.WatchdogDeployments("app");
        Assert.Equal(3, restarts.Count);
        Assert.All(restarts, d => Assert.Equal(DeploymentStatus.Failed, d.Status));
        var gaveUp = m.Events("app").Single(e => e.Kind == CicdEventKind.GaveUp);
        Assert.Contains("3 restarts in a row failed", gaveUp.Message);
        Assert.Contains("gave up", m.LogText);
        Assert.Equal(2, m.Events("app").Count(e => e.Kind == CicdEventKind.RestartFailed));
        Assert.Equal(new[] { "WatchdogUnhealthy", "WatchdogGaveUp" }, WatchdogNotifications(m).Select(n => n.Kind));

        // Given up means given up: more passes (past the largest backoff) queue nothing more.
        m.WaitForPasses(15);
        Assert.Equal(3, m.WatchdogDeployments("app").Count);
        Assert.Single(m.Events("app"), e => e.Kind == CicdEventKind.GaveUp);
    }

    [Fact]
    public void A_deployment_in_progress_is_never_interrupted_by_the_watchdog_even_while_the_app_is_dead()
    {
        using var repo = new TestRepository();
        using var m = new MonitorHarness();
        repo.WriteSleeper("v1", m.H.StateDir).CommitAndPush("v1");
        m.H.Register(repo, installTimeout: TimeSpan.FromMinutes(2));
        DeploymentAssert.Status(m.H, DeploymentStatus.Succeeded, m.H.Deploy("app"));
        m.StartMonitor();

        // v2's install.sh waits until the test lets it go.
        var release = Path.Combine(m.H.StateDir, "release-install");
        repo.WriteSleeper("v2", m.H.StateDir)
            .Write(".cicd/install.sh", $"#!/bin/bash\necho waiting\nwhile [ ! -e '{release}' ]; do sleep 0.05; done\necho done\n")
            .CommitAndPush("v2 with a slow install");
        var d = m.Engine.RequestDeployment(new DeploymentRequest { Project = "app" });
        m.WaitUntil(() => m.Engine.GetDeployment(d.Id).Stage == DeploymentStage.Install, "install.sh running");

        Run.Command("kill", null, "-KILL", m.AppPid("app")!.Value.ToString());
        m.WaitForPasses(10);
        Assert.Equal(DeploymentStatus.Running, m.Engine.GetDeployment(d.Id).Status);
        Assert.Equal(DeploymentStage.Install, m.Engine.GetDeployment(d.Id).Stage);
        Assert.Empty(m.WatchdogDeployments("app"));
        Assert.Empty(m.Events("app"));

        File.WriteAllText(release, "");
        var done = m.H.Wait(d);
        DeploymentAssert.Status(m.H, DeploymentStatus.Succeeded, done);
        m.WaitForPasses(5);
        Assert.Equal(ProjectStatus.Healthy, m.Engine.GetProject("app").Status);
        Assert.Equal("v2", m.H.Serving);
        Assert.Empty(m.WatchdogDeployments("app"));
        Assert.Empty(m.Events("app"));
    }

    [Fact]
    public void An_app_whose_health_check_fails_turns_Unhealthy_and_is_restarted()
    {
        using var repo = new TestRepository();
        using var m = new MonitorHarness();
        var state = m.H.StateDir;
        // health.sh fails once after the test says "sick" (it marks that it did: the account cannot delete root's file).
        repo.WriteSleeper("v1", state)
            .Write(".cicd/health.sh", $$"""
                #!/bin/bash
                if [ -e "{{state}}/sick" ] && [ ! -e "{{state}}/sick-reported" ]; then
                  touch "{{state}}/sick-reported"; echo "database connection lost"; exit 1
                fi
                grep -qx v1 "{{state}}/serving"
                """)
            .CommitAndPush("v1");
        m.H.Register(repo);
        m.Engine.UpdateProject("app", new ProjectUpdate { HealthInterval = TimeSpan.FromSeconds(1) });
        DeploymentAssert.Status(m.H, DeploymentStatus.Succeeded, m.H.Deploy("app"));
        var pid = m.AppPid("app")!.Value;
        m.StartMonitor();

        File.WriteAllText(Path.Combine(state, "sick"), "");
        m.WaitUntil(() => m.Events("app").Any(e => e.Kind == CicdEventKind.Recovered), "restarted after the failed check");

        var unhealthy = m.Events("app").First(e => e.Kind == CicdEventKind.Unhealthy);
        Assert.Contains("health.sh exited with code 1", unhealthy.Message);
        Assert.Contains("database connection lost", unhealthy.Message);
        var restart = Assert.Single(m.WatchdogDeployments("app"));
        Assert.Equal(DeploymentStatus.Succeeded, restart.Status);
        Assert.Equal(ProjectStatus.Healthy, m.Engine.GetProject("app").Status);
        Assert.NotEqual(pid, m.AppPid("app"));
        Assert.True(Processes.IsGone(pid));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_restart_brings_the_serving_commit_back_without_git_even_when_the_repository_is_gone(bool releases)
    {
        using var repo = new TestRepository();
        using var m = new MonitorHarness();
        var sha = repo.WriteSleeper("v1", m.H.StateDir).CommitAndPush("v1");
        m.H.Register(repo);
        m.Engine.UpdateProject("app", new ProjectUpdate { KeepReleases = releases ? 2 : 0 }); // 0: the one in-place tree
        DeploymentAssert.Status(m.H, DeploymentStatus.Succeeded, m.H.Deploy("app"));
        m.StartMonitor();

        Directory.Move(repo.BarePath, repo.BarePath + ".gone");
        try
        {
            Run.Command("kill", null, "-KILL", m.AppPid("app")!.Value.ToString());
            m.WaitUntil(() => m.WatchdogDeployments("app").Any(d => d.IsFinished), "the restart");
        }
        finally { Directory.Move(repo.BarePath + ".gone", repo.BarePath); }

        var restart = m.WatchdogDeployments("app").Single();
        DeploymentAssert.Status(m.H, DeploymentStatus.Succeeded, restart);
        Assert.Equal(sha, restart.Commit);
        Assert.Contains("git-calls=" + (releases ? "0" : "1"), m.H.Log(restart)); // releases: none; a tree: one ls-tree, no fetch
        Assert.Equal(sha, m.Engine.GetProject("app").CurrentCommit);
        Assert.Equal(ProjectStatus.Healthy, m.Engine.GetProject("app").Status);
    }

    [Fact]
    public void The_backoff_starts_over_once_the_app_has_stayed_healthy_long_enough()
    {
        using var repo = new TestRepository();
        using var m = new MonitorHarness(resetAfterHealthy: TimeSpan.FromMilliseconds(500));
        repo.WriteSleeper("v1", m.H.StateDir).CommitAndPush("v1");
        m.H.Register(repo);
        DeploymentAssert.Status(m.H, DeploymentStatus.Succeeded, m.H.Deploy("app"));
        m.StartMonitor();

        Run.Command("kill", null, "-KILL", m.AppPid("app")!.Value.ToString());
        m.WaitUntil(() => m.Events("app").Count(e => e.Kind == CicdEventKind.Recovered) == 1, "first recovery");
        m.WaitForPasses(10); // 10 passes of 200 ms: healthy for longer than the 500 ms reset
        Run.Command("kill", null, "-KILL", m.AppPid("app")!.Value.ToString());
        m.WaitUntil(() => m.Events("app").Count(e => e.Kind == CicdEventKind.Recovered) == 2, "second recovery");

        var delays = m.Log.Where(l => l.Contains("is unhealthy")).Select(l => l[(l.LastIndexOf("restart in ", StringComparison.Ordinal) + 11)..]).ToList();
        Assert.Equal(new[] { "0.2 s", "0.2 s" }, delays);
        Assert.All(m.Events("app").Where(e => e.Kind == CicdEventKind.Restarting), e => Assert.Contains("restart 1 of at most 3", e.Message));
    }

    [Fact]
    public void With_the_watchdog_off_a_dead_app_is_reported_by_the_sampler_but_never_restarted()
    {
        using var repo = new TestRepository();
        using var m = new MonitorHarness(watchdog: false);
        repo.WriteSleeper("v1", m.H.StateDir).CommitAndPush("v1");
        m.H.Register(repo);
        DeploymentAssert.Status(m.H, DeploymentStatus.Succeeded, m.H.Deploy("app"));
        m.StartMonitor();

        Run.Command("kill", null, "-KILL", m.AppPid("app")!.Value.ToString());
        m.WaitUntil(() => m.Engine.GetTelemetry().Apps.Single().Health == AppHealth.Unhealthy, "the sampler sees it dead");
        m.WaitForPasses(10);
        Assert.Empty(m.WatchdogDeployments("app"));
        Assert.Empty(m.Events("app"));
        Assert.Equal(ProjectStatus.Healthy, m.Engine.GetProject("app").Status);
        Assert.Contains("watchdog off", m.LogText);
    }

    [Fact]
    public void The_health_interval_is_a_project_setting_with_a_default_and_bad_values_change_nothing()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush("v1");
        Assert.Equal(TimeSpan.FromSeconds(30), h.Register(repo).HealthInterval);
        Assert.Equal(TimeSpan.FromSeconds(5), h.Engine.UpdateProject("app", new ProjectUpdate { HealthInterval = TimeSpan.FromSeconds(5) }).HealthInterval);
        var e = Assert.Throws<CicdException>(() => h.Engine.UpdateProject("app", new ProjectUpdate { HealthInterval = TimeSpan.FromMilliseconds(10) }));
        Assert.Contains("health interval", e.Message);
        Assert.Equal(TimeSpan.FromSeconds(5), h.Engine.GetProject("app").HealthInterval);
    }
}
