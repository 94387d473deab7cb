using CicdOps.Fleet.Sync;
using CicdOps.Tests.Support;
using CicdOps.Tests.Watchdog;

namespace CicdOps.Tests.Fleet;

/// <summary>The sync publishes what the listener's sampler and watchdog found: app figures, host figures and watchdog events.</summary>
[Collection(PostgresCollection.Name)]
public sealed class FleetTelemetryTests
{
    private readonly PostgresCluster _pg;

    public FleetTelemetryTests(PostgresCluster pg) { _pg = pg; }

    [Fact]
    public async Task The_sync_publishes_the_apps_memory_and_the_watchdogs_unhealthy_restarting_and_recovered_events()
    {
        var uri = _pg.Uri(_pg.CreateDatabase());
        using var repo = new TestRepository();
        using var m = new MonitorHarness();
        m.Engine.JoinFleet(uri, "node-w", TimeSpan.FromMilliseconds(300));
        repo.WriteSleeper("v1", m.H.StateDir).CommitAndPush("v1");
        m.H.Register(repo);
        DeploymentAssert.Status(m.H, DeploymentStatus.Succeeded, m.H.Deploy("app"));
        await using var registry = FleetConnection.OpenJoined(m.Engine);
        var sync = FleetConnection.CreateSync(m.Engine, registry);
        m.StartMonitor();
        m.WaitForPasses(2);
        Assert.True(await sync.TrySyncOnceAsync(default), sync.LastError);

        Run.Command("kill", null, "-KILL", m.AppPid("app")!.Value.ToString());
        m.WaitUntil(() => m.Events("app").Any(e => e.Kind == CicdEventKind.Recovered), "restarted");
        m.WaitForPasses(2);
        Assert.True(await sync.TrySyncOnceAsync(default), sync.LastError);

        var snapshot = await registry.GetSnapshotAsync(50, default);
        var app = Assert.Single(snapshot.Projects);
        Assert.True(app.MemoryBytes > 0, $"memory {app.MemoryBytes}");
        Assert.NotNull(app.CpuPercent);
        Assert.Equal(FleetHealth.Healthy, app.Health);
        var kinds = snapshot.Events.Where(e => e.Project == "app").Select(e => e.Kind).ToList();
        Assert.Contains(FleetEventKind.AppUnhealthy, kinds);
        Assert.Contains(FleetEventKind.AppRestarting, kinds);
        Assert.Contains(FleetEventKind.AppRecovered, kinds);
        Assert.Contains(snapshot.Events, e => e.Kind == FleetEventKind.AppUnhealthy && e.Message.Contains("the app died"));
        Assert.True(Assert.Single(snapshot.Nodes).Host!.MemoryTotalBytes > 0);
    }
}
