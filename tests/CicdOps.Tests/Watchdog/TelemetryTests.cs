using CicdOps.Engine;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Watchdog;

/// <summary>The sampler's figures for real apps, under each process tracking the engine has.</summary>
public sealed class TelemetryTests
{
    [Theory]
    [InlineData(ProcessTracking.Auto)]
    [InlineData(ProcessTracking.ProcessGroup)]
    public void The_sampler_reports_a_real_apps_processes_memory_port_uptime_and_commit(ProcessTracking tracking)
    {
        using var repo = new TestRepository();
        using var m = new MonitorHarness(tracking, logPump: false);
        var port = FreePort.Next();
        // Two processes: a background helper and the web server (run.sh's own pid becomes python).
        repo.WriteWebApp("v1")
            .Write(".cicd/run.sh", "#!/bin/bash\nsleep 300 &\nexec python3 -m http.server \"$PORT\" --bind 127.0.0.1\n")
            .CommitAndPush("v1");
        m.H.Register(repo, port: port);
        DeploymentAssert.Status(m.H, DeploymentStatus.Succeeded, m.H.Deploy("app"));
        m.StartMonitor();

        m.WaitUntil(() => m.Engine.GetTelemetry().Apps.SingleOrDefault(a => a.Project == "app") is { CpuPercent: not null }, "two passes");
        var app = m.Engine.GetTelemetry().Apps.Single(a => a.Project == "app");
        Assert.Equal(2, app.Processes);
        Assert.True(app.MemoryBytes > 0, $"RSS {app.MemoryBytes}");
        Assert.Equal(new[] { port }, app.ListeningPorts);
        Assert.NotNull(app.Uptime);
        Assert.Equal(m.Engine.GetProject("app").CurrentCommit, app.Commit);
        Assert.Equal(AppHealth.Healthy, app.Health);
        Assert.Equal(0, app.Restarts);
        Assert.True(app.PathFreeBytes > 0);
        var host = m.Engine.GetTelemetry().Host;
        Assert.True(host.MemoryTotalBytes > 0 && host.DataDiskFreeBytes > 0);
        Assert.NotNull(host.CpuPercent);
        if (tracking == ProcessTracking.ProcessGroup) Assert.Equal("process group", m.Engine.ProcessTrackingMechanism);
        else Assert.StartsWith("cgroup", m.Engine.ProcessTrackingMechanism);
    }

    [Fact]
    public void Without_the_monitor_running_telemetry_is_a_one_off_sample_and_a_never_deployed_project_has_no_processes()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush("v1");
        h.Register(repo);
        Assert.False(h.Engine.IsMonitoring);
        var app = h.Engine.GetTelemetry().Apps.Single();
        Assert.Equal(0, app.Processes);
        Assert.Equal(AppHealth.Unknown, app.Health);
        Assert.Null(app.Uptime);
        Assert.Null(app.CpuPercent);
    }
}
