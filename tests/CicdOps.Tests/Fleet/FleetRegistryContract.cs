using CicdOps.Fleet;

namespace CicdOps.Tests.Fleet;

/// <summary>
/// What every registry backend must do, run against a real server: one derived class per backend
/// (PostgresRegistryContractTests here; MongoRegistryContractTests where CICDOPS_TEST_MONGODB_URI names a server).
/// Each test gets a registry of its own (a fresh database).
/// </summary>
public abstract partial class FleetRegistryContract
{
    /// <summary>A fresh, initialized registry no other test uses.</summary>
    protected abstract Task<IFleetRegistry> NewRegistryAsync();

    protected static readonly CancellationToken None = CancellationToken.None;

    protected static FleetNode Node(string id, string name, TimeSpan? interval = null) => new()
    {
        Id = id, Name = name, Version = "1.2.3", SyncInterval = interval ?? TimeSpan.FromSeconds(5),
        Host = new HostStats { CpuPercent = 12.5, MemoryTotalBytes = 8L << 30, MemoryAvailableBytes = 3L << 30, DataDiskFreeBytes = 50L << 30, Load1 = 0.75 },
    };

    protected static FleetProject Project(string nodeId, string name, ProjectStatus status = ProjectStatus.Healthy, string? commit = "a1b2c3") => new()
    {
        NodeId = nodeId, Node = "node-" + nodeId, Name = name, Repository = "https://example.invalid/" + name + ".git", Branch = "main",
        Status = status, Commit = commit, LastGoodCommit = commit, Health = status == ProjectStatus.Healthy ? FleetHealth.Healthy : FleetHealth.Unhealthy,
        CpuPercent = 1.5, MemoryBytes = 1234,
    };

    protected static FleetDeployment Deployment(string nodeId, long id, string project, DeploymentStatus status, DateTimeOffset queued) => new()
    {
        NodeId = nodeId, Node = "node-" + nodeId, Id = id, Project = project, Commit = "c0ffee" + id, Trigger = DeploymentTrigger.Manual,
        Status = status, QueuedAt = queued, StartedAt = status == DeploymentStatus.Queued ? null : queued.AddSeconds(1),
        FinishedAt = status is DeploymentStatus.Queued or DeploymentStatus.Running ? null : queued.AddSeconds(2),
    };

    // Times go through the database at microsecond (PostgreSQL) or millisecond (BSON) precision.
    protected static DateTimeOffset Millis(DateTimeOffset t) => new(t.UtcTicks - t.UtcTicks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);

    [Fact]
    public async Task A_published_node_is_listed_online_with_its_host_stats()
    {
        await using var r = await NewRegistryAsync();
        await r.PublishNodeAsync(Node("n1", "alpha"), None);

        var node = Assert.Single((await r.GetSnapshotAsync(10, None)).Nodes);
        Assert.Equal(("n1", "alpha", "1.2.3", FleetNodeState.Online), (node.Id, node.Name, node.Version, node.State));
        Assert.Equal(TimeSpan.FromSeconds(5), node.SyncInterval);
        Assert.Equal(Node("n1", "alpha").Host, node.Host);
        Assert.True(node.LastSeen > DateTimeOffset.UtcNow.AddMinutes(-5), $"last seen {node.LastSeen:O} is the registry's now");
    }

    [Fact]
    public async Task Projects_are_keyed_by_node_and_name()
    {
        await using var r = await NewRegistryAsync();
        await r.PublishNodeAsync(Node("n1", "alpha"), None);
        await r.PublishNodeAsync(Node("n2", "beta"), None);

        await r.UpsertProjectsAsync(new[] { Project("n1", "web"), Project("n2", "web"), Project("n1", "api") }, None);
        await r.UpsertProjectsAsync(new[] { Project("n1", "web", ProjectStatus.Failed, "d4e5f6") }, None);

        var projects = (await r.GetSnapshotAsync(10, None)).Projects;
        Assert.Equal(3, projects.Count);
        var web1 = Assert.Single(projects, p => p.NodeId == "n1" && p.Name == "web");
        Assert.Equal((ProjectStatus.Failed, "d4e5f6", FleetHealth.Unhealthy), (web1.Status, web1.Commit, web1.Health));
        var web2 = Assert.Single(projects, p => p.NodeId == "n2" && p.Name == "web");
        Assert.Equal(Project("n2", "web") with { UpdatedAt = web2.UpdatedAt }, web2);
    }

    [Fact]
    public async Task Removing_projects_touches_only_that_node()
    {
        await using var r = await NewRegistryAsync();
        await r.PublishNodeAsync(Node("n1", "alpha"), None);
        await r.PublishNodeAsync(Node("n2", "beta"), None);
        await r.UpsertProjectsAsync(new[] { Project("n1", "web"), Project("n2", "web"), Project("n1", "api") }, None);

        await r.RemoveProjectsAsync("n1", new[] { "web" }, None);

        Assert.Equal(new[] { ("n1", "api"), ("n2", "web") },
            (await r.GetSnapshotAsync(10, None)).Projects.Select(p => (p.NodeId, p.Name)).OrderBy(x => x).ToArray());
    }

    [Fact]
    public async Task Deployments_are_upserted_and_read_newest_first()
    {
        await using var r = await NewRegistryAsync();
        await r.PublishNodeAsync(Node("n1", "alpha"), None);
        var t0 = Millis(DateTimeOffset.UtcNow.AddMinutes(-10));
        await r.UpsertDeploymentsAsync(new[]
        {
            Deployment("n1", 1, "web", DeploymentStatus.Succeeded, t0),
            Deployment("n1", 2, "web", DeploymentStatus.Running, t0.AddMinutes(1)),
            Deployment("n1", 3, "api", DeploymentStatus.Queued, t0.AddMinutes(2)),
        }, None);
        await r.UpsertDeploymentsAsync(new[] { Deployment("n1", 2, "web", DeploymentStatus.RolledBack, t0.AddMinutes(1)) }, None);

        var all = (await r.GetSnapshotAsync(10, None)).Deployments;
        Assert.Equal(new long[] { 3, 2, 1 }, all.Select(d => d.Id));
        Assert.Equal(Deployment("n1", 2, "web", DeploymentStatus.RolledBack, t0.AddMinutes(1)), all[1]);
        Assert.Equal(new long[] { 3, 2 }, (await r.GetSnapshotAsync(2, None)).Deployments.Select(d => d.Id));
        Assert.Empty((await r.GetSnapshotAsync(0, None)).Deployments);
    }

    [Fact]
    public async Task An_event_sent_twice_is_stored_once()
    {
        await using var r = await NewRegistryAsync();
        await r.PublishNodeAsync(Node("n1", "alpha"), None);
        var e = new FleetEvent { NodeId = "n1", Node = "alpha", Sequence = 7, At = Millis(DateTimeOffset.UtcNow), Project = "web",
            Kind = FleetEventKind.DeploymentFinished, Message = "web: deployment 1 Succeeded" };

        await r.AppendEventsAsync(new[] { e }, None);
        await r.AppendEventsAsync(new[] { e with { Message = "changed" }, e with { Sequence = 8 } }, None);

        var events = (await r.GetSnapshotAsync(10, None)).Events;
        Assert.Equal(new long[] { 8, 7 }, events.Select(x => x.Sequence).OrderDescending());
        Assert.Equal(e, Assert.Single(events, x => x.Sequence == 7));
    }

    [Fact]
    public async Task Trimming_keeps_the_newest_history_of_that_node_only()
    {
        await using var r = await NewRegistryAsync();
        await r.PublishNodeAsync(Node("n1", "alpha"), None);
        await r.PublishNodeAsync(Node("n2", "beta"), None);
        var t0 = Millis(DateTimeOffset.UtcNow.AddHours(-1));
        await r.UpsertDeploymentsAsync(Enumerable.Range(1, 5).SelectMany(i => new[]
        {
            Deployment("n1", i, "web", DeploymentStatus.Succeeded, t0.AddMinutes(i)), Deployment("n2", i, "web", DeploymentStatus.Succeeded, t0.AddMinutes(i)),
        }).ToList(), None);
        await r.AppendEventsAsync(Enumerable.Range(1, 5).Select(i => new FleetEvent
            { NodeId = "n1", Node = "alpha", Sequence = i, At = t0.AddMinutes(i), Kind = FleetEventKind.DeploymentFinished, Message = "m" }).ToList(), None);

        await r.TrimAsync("n1", 2, 3, None);
        await r.TrimAsync("n2", 10, 10, None);

        var s = await r.GetSnapshotAsync(100, None);
        Assert.Equal(new long[] { 5, 4 }, s.Deployments.Where(d => d.NodeId == "n1").Select(d => d.Id));
        Assert.Equal(5, s.Deployments.Count(d => d.NodeId == "n2"));
        Assert.Equal(new long[] { 5, 4, 3 }, s.Events.Select(e => e.Sequence));
    }

    [Fact]
    public async Task Removing_a_node_removes_its_projects_deployments_and_events()
    {
        await using var r = await NewRegistryAsync();
        await r.PublishNodeAsync(Node("n1", "alpha"), None);
        await r.PublishNodeAsync(Node("n2", "beta"), None);
        await r.UpsertProjectsAsync(new[] { Project("n1", "web"), Project("n2", "web") }, None);
        await r.UpsertDeploymentsAsync(new[] { Deployment("n1", 1, "web", DeploymentStatus.Succeeded, DateTimeOffset.UtcNow) }, None);
        await r.AppendEventsAsync(new[] { new FleetEvent { NodeId = "n1", Node = "alpha", Sequence = 1, Kind = FleetEventKind.NodeJoined, Message = "hi", At = DateTimeOffset.UtcNow } }, None);

        await r.RemoveNodeAsync("n1", None);

        var s = await r.GetSnapshotAsync(10, None);
        Assert.Equal(new[] { "n2" }, s.Nodes.Select(n => n.Id));
        Assert.Equal(new[] { "n2" }, s.Projects.Select(p => p.NodeId));
        Assert.Empty(s.Deployments);
        Assert.Empty(s.Events);
    }

    [Fact]
    public async Task A_node_that_misses_three_intervals_turns_stale()
    {
        await using var r = await NewRegistryAsync();
        await r.PublishNodeAsync(Node("n1", "alpha", TimeSpan.FromMilliseconds(200)), None);
        await r.PublishNodeAsync(Node("n2", "beta", TimeSpan.FromHours(1)), None);
        Assert.Equal(FleetNodeState.Online, (await r.GetSnapshotAsync(10, None)).Nodes.Single(n => n.Id == "n1").State);

        // n1 stops reporting; after 3 × 200 ms it is stale, n2 (hourly) is not.
        var nodes = await Eventually(async () => (await r.GetSnapshotAsync(10, None)).Nodes,
            ns => ns.Single(n => n.Id == "n1").State == FleetNodeState.Stale);
        Assert.Equal(FleetNodeState.Online, nodes.Single(n => n.Id == "n2").State);

        await r.PublishNodeAsync(Node("n1", "alpha", TimeSpan.FromMilliseconds(200)), None);
        // Reporting again makes it online (read at once, well within one interval on this machine's clock... or not:
        // the interval is short, so only check that the report moved last-seen forward).
        var again = (await r.GetSnapshotAsync(10, None)).Nodes.Single(n => n.Id == "n1");
        Assert.True(again.LastSeen > nodes.Single(n => n.Id == "n1").LastSeen);
    }

    [Fact]
    public async Task Watchers_see_changes_written_by_another_connection()
    {
        await using var writer = await NewRegistryAsync();
        await using var reader = await ReopenAsync(writer);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var feed = reader.WatchAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var next = feed.MoveNextAsync().AsTask();
        await Task.Delay(500); // let the watcher start listening

        await writer.PublishNodeAsync(Node("n1", "alpha"), None);
        await writer.UpsertProjectsAsync(new[] { Project("n1", "web") }, None);
        await writer.UpsertDeploymentsAsync(new[] { Deployment("n1", 4, "web", DeploymentStatus.Succeeded, Millis(DateTimeOffset.UtcNow)) }, None);
        await writer.RemoveProjectsAsync("n1", new[] { "web" }, None);

        var seen = new List<FleetChange>();
        while (await next)
        {
            seen.Add(feed.Current);
            if (seen.Count == 4) break;
            next = feed.MoveNextAsync().AsTask();
        }
        var relevant = seen.Where(c => c.Kind != FleetChangeKind.Node || c.NodeRecord?.State == FleetNodeState.Online).ToList();
        Assert.Equal("n1", Assert.Single(relevant, c => c.Kind == FleetChangeKind.Node).NodeRecord!.Id);
        Assert.Equal("a1b2c3", Assert.Single(relevant, c => c.Kind == FleetChangeKind.Project).ProjectRecord!.Commit);
        Assert.Equal(4, Assert.Single(relevant, c => c.Kind == FleetChangeKind.Deployment).Deployment!.Id);
        Assert.Equal(("n1", "web"), Assert.Single(relevant, c => c.Kind == FleetChangeKind.ProjectRemoved) is var x ? (x.NodeId, x.Project) : default);
    }

    [Fact]
    public async Task Watchers_are_told_when_a_node_turns_stale()
    {
        await using var r = await NewRegistryAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var feed = r.WatchAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var next = feed.MoveNextAsync().AsTask();
        await Task.Delay(500);
        await r.PublishNodeAsync(Node("n1", "alpha", TimeSpan.FromMilliseconds(200)), None);

        FleetChange? stale = null;
        while (stale is null && await next)
        {
            if (feed.Current is { Kind: FleetChangeKind.Node, NodeRecord.State: FleetNodeState.Stale } c) stale = c;
            else next = feed.MoveNextAsync().AsTask();
        }
        Assert.Equal("n1", stale!.NodeId);
    }

    /// <summary>A second registry object on the same store (another node's connection).</summary>
    protected abstract Task<IFleetRegistry> ReopenAsync(IFleetRegistry registry);

    protected static async Task<T> Eventually<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var value = await read();
            if (done(value) || DateTime.UtcNow > until) return done(value) ? value : throw new Xunit.Sdk.XunitException("condition never held");
            await Task.Delay(100);
        }
    }
}
