using CicdOps.Fleet;
using CicdOps.Fleet.Sync;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Fleet;

/// <summary>Real engines (own data directories, real deployments) publishing to one real PostgreSQL registry.</summary>
[Collection(PostgresCollection.Name)]
public sealed class FleetSyncTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(300);
    private readonly PostgresCluster _pg;

    public FleetSyncTests(PostgresCluster pg) { _pg = pg; }

    [Fact]
    public async Task A_deployment_on_node_a_is_seen_through_node_b()
    {
        var uri = _pg.Uri(_pg.CreateDatabase());
        using var repo = new TestRepository();
        using var a = new EngineHarness();
        using var b = new EngineHarness();
        a.Engine.JoinFleet(uri, "node-a", Interval);
        b.Engine.JoinFleet(uri, "node-b", Interval);
        await using var registryA = FleetConnection.OpenJoined(a.Engine);
        await using var registryB = FleetConnection.OpenJoined(b.Engine);
        var syncB = FleetConnection.CreateSync(b.Engine, registryB);
        Assert.True(await syncB.TrySyncOnceAsync(default), syncB.LastError);

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await using var feed = registryB.WatchAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var next = feed.MoveNextAsync().AsTask();
        await Task.Delay(500);
        var loopA = FleetConnection.CreateSync(a.Engine, registryA).RunAsync(cts.Token);

        var sha = repo.WriteSleeper("v1", a.StateDir).CommitAndPush("v1");
        a.Register(repo);
        var d = a.Deploy("app");
        DeploymentAssert.Status(a, DeploymentStatus.Succeeded, d);

        var nodeA = a.Engine.GetNodeIdentity().Id;
        FleetDeployment? seen = null;
        while (seen is null && await next)
        {
            if (feed.Current.Deployment is { Status: DeploymentStatus.Succeeded } x && x.NodeId == nodeA && x.Id == d.Id) seen = x;
            else next = feed.MoveNextAsync().AsTask();
        }
        Assert.Equal(("node-a", "app", sha), (seen!.Node, seen.Project, seen.Commit));

        // One sync pass publishes the deployment, then its events: the feed may show the first before the pass ends.
        var snapshot = await registryB.GetSnapshotAsync(20, default);
        for (var waited = 0; waited < 300 && !snapshot.Events.Any(e => e.NodeId == nodeA && e.Kind == FleetEventKind.DeploymentFinished); waited++)
        {
            await Task.Delay(100);
            snapshot = await registryB.GetSnapshotAsync(20, default);
        }
        Assert.Equal(new[] { "node-a", "node-b" }, snapshot.Nodes.Select(n => n.Name).Order());
        var app = Assert.Single(snapshot.Projects);
        Assert.Equal((nodeA, "node-a", sha, FleetHealth.Healthy, ProjectStatus.Healthy), (app.NodeId, app.Node, app.Commit, app.Health, app.Status));
        Assert.Contains(snapshot.Events, e => e.NodeId == nodeA && e.Kind == FleetEventKind.DeploymentFinished && e.Message.Contains("Succeeded"));
        cts.Cancel();
        await loopA;
    }

    [Fact]
    public async Task A_registry_outage_never_blocks_deploys_and_the_node_catches_up_when_it_returns()
    {
        var uri = _pg.Uri(_pg.CreateDatabase());
        using var repo = new TestRepository();
        using var a = new EngineHarness();
        a.Engine.JoinFleet(uri, "node-a", Interval);
        var log = new List<string>();
        await using var registry = FleetConnection.OpenJoined(a.Engine);
        var sync = FleetConnection.CreateSync(a.Engine, registry, log.Add);
        Assert.True(await sync.TrySyncOnceAsync(default), sync.LastError);

        Deployment d;
        string sha;
        _pg.Stop();
        try
        {
            sha = repo.WriteSleeper("v1", a.StateDir).CommitAndPush("v1");
            a.Register(repo);
            d = a.Deploy("app");
            DeploymentAssert.Status(a, DeploymentStatus.Succeeded, d);
            Assert.False(await sync.TrySyncOnceAsync(default));
            Assert.False(await sync.TrySyncOnceAsync(default));
        }
        finally { _pg.Start(); }
        Assert.Contains("cannot be reached", sync.LastError);
        Assert.Single(log, l => l.Contains("cannot publish"));
        Assert.DoesNotContain(log, l => l.Contains(_pg.Password));

        // The loop retries each interval; the first pass after the restart may still meet a dropped pooled connection.
        var caughtUp = false;
        for (var i = 0; i < 20 && !caughtUp; i++) { caughtUp = await sync.TrySyncOnceAsync(default); if (!caughtUp) await Task.Delay(Interval); }
        Assert.True(caughtUp, sync.LastError);
        Assert.Contains(log, l => l.Contains("caught up"));

        var s = await registry.GetSnapshotAsync(20, default);
        Assert.Equal(sha, Assert.Single(s.Projects).Commit);
        Assert.Equal(DeploymentStatus.Succeeded, Assert.Single(s.Deployments, x => x.Id == d.Id).Status);
        Assert.Contains(s.Events, e => e.Kind == FleetEventKind.ProjectAdded && e.Project == "app");
        Assert.Contains(s.Events, e => e.Kind == FleetEventKind.DeploymentFinished && e.Project == "app");
    }

    [Fact]
    public async Task Each_pass_sends_only_what_changed()
    {
        var uri = _pg.Uri(_pg.CreateDatabase());
        using var repo = new TestRepository();
        using var a = new EngineHarness();
        a.Engine.JoinFleet(uri, "node-a", Interval);
        repo.WriteSleeper("v1", a.StateDir).CommitAndPush("v1");
        a.Register(repo, "first");
        await using var registry = FleetConnection.OpenJoined(a.Engine);
        await using var watcher = FleetRegistries.Open(uri);
        var sync = FleetConnection.CreateSync(a.Engine, registry);
        Assert.True(await sync.TrySyncOnceAsync(default), sync.LastError);

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var feed = watcher.WatchAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var next = feed.MoveNextAsync().AsTask();
        await Task.Delay(500);
        Assert.True(await sync.TrySyncOnceAsync(default), sync.LastError); // nothing changed: a heartbeat only
        a.Register(repo, "second");
        Assert.True(await sync.TrySyncOnceAsync(default), sync.LastError);
        a.Engine.UnregisterProject("second");
        Assert.True(await sync.TrySyncOnceAsync(default), sync.LastError);

        var seen = new List<FleetChange>();
        while (await next)
        {
            seen.Add(feed.Current);
            if (feed.Current.Event?.Kind == FleetEventKind.ProjectRemoved) break;
            next = feed.MoveNextAsync().AsTask();
        }
        Assert.DoesNotContain(seen, c => c.Project == "first");
        Assert.Equal(new[] { FleetChangeKind.Project, FleetChangeKind.ProjectRemoved },
            seen.Where(c => c.Kind is FleetChangeKind.Project or FleetChangeKind.ProjectRemoved).Select(c => c.Kind));
        Assert.Equal(new[] { FleetEventKind.ProjectAdded, FleetEventKind.ProjectRemoved },
            seen.Where(c => c.Event is not null).Select(c => c.Event!.Kind));
        Assert.Equal(3, seen.Count(c => c.Kind == FleetChangeKind.Node));
    }

    [Fact]
    public async Task A_watch_ends_with_a_registry_unavailable_error_when_the_server_goes_away()
    {
        var uri = _pg.Uri(_pg.CreateDatabase());
        await using var r = FleetRegistries.Open(uri);
        await r.InitializeAsync(default);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var feed = r.WatchAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var next = feed.MoveNextAsync().AsTask();
        await Task.Delay(500);
        CicdException e;
        _pg.Stop();
        try { e = await Assert.ThrowsAsync<CicdException>(async () => { while (await next) next = feed.MoveNextAsync().AsTask(); }); }
        finally { _pg.Start(); }
        Assert.Equal(CicdError.FleetRegistryUnavailable, e.Error);
        Assert.DoesNotContain(_pg.Password, e.ToString());
    }
}
