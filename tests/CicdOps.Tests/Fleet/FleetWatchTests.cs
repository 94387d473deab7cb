using System.Collections.Concurrent;
using System.Text.Json;
using CicdOps.Engine.Fleet;
using CicdOps.Tests.Api;
using CicdOps.Tests.Cli;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Fleet;

/// <summary>
/// Two servers on one machine (own data directories, own listeners, distinct node names and ports) joined to one real
/// PostgreSQL registry: what happens on one is seen by a watch on the other, through the watcher (`cicdops fleet watch
/// --json`) and through the listener's SSE stream.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class FleetWatchTests
{
    private readonly PostgresCluster _pg;
    public FleetWatchTests(PostgresCluster pg) { _pg = pg; }

    [Fact]
    public async Task A_deploy_on_node_A_reaches_watches_on_node_B_and_a_killed_node_turns_stale()
    {
        var db = _pg.CreateDatabase();
        var suffix = Guid.NewGuid().ToString("N")[..6];
        string nameA = "node-a-" + suffix, nameB = "node-b-" + suffix;
        using var repo = new TestRepository();
        using var a = new ListenerNode(new CliHarness());
        using var b = new ListenerNode(new CliHarness());
        repo.WriteSleeper("v1", a.Cli.StateDir).CommitAndPush("v1");
        a.Cli.Add(repo, "shop");
        a.Cli.Run("fleet", "join", "--registry", _pg.Uri(db), "--name", nameA, "--interval", "0.3").ShouldExit(0);
        b.Cli.Run("fleet", "join", "--registry", _pg.Uri(db), "--name", nameB, "--interval", "0.3").ShouldExit(0);
        a.StartListener();
        b.StartListener(heartbeatSeconds: 0.5);
        var token = b.CreateToken("read", "watcher");

        await using var sse = await SseClient.OpenAsync(b.Url("/api/stream/fleet"), token);
        Assert.Equal(200, sse.StatusCode);
        using var watch = b.Cli.Start("fleet", "watch", "--json");
        var lines = new BlockingCollection<string>();
        var reader = Task.Run(() =>
        {
            try { while (watch.StandardOutput.ReadLine() is { } l) lines.Add(l); }
            finally { lines.CompleteAdding(); }
        });
        try
        {
            // The watch has printed the fleet as it is: it is running (and listening) before the deploy starts.
            var first = WaitForLine(lines, u => u.Node == nameA && u.Project == "shop");
            Assert.Equal(FleetUpdateKind.Project, first.Kind);

            var sha = repo.WriteSleeper("v2", a.Cli.StateDir).CommitAndPush("v2");
            a.Cli.Run("deploy", "shop").ShouldExit(0);

            bool Deployed(FleetUpdate u) => u.Kind == FleetUpdateKind.Project && u.Node == nameA && u.Project == "shop" && u.Commit == sha;
            var viaSse = Parse((await sse.WaitForAsync(e => e.Name == "fleet" && Deployed(Parse(e.Data)))).Data);
            Assert.Equal(FleetHealth.Healthy, viaSse.Health);
            var viaWatch = WaitForLine(lines, Deployed);
            Assert.Equal(ProjectStatus.Healthy, viaWatch.Status);

            a.Kill();
            bool Stale(FleetUpdate u) => u.Kind == FleetUpdateKind.Node && u.Node == nameA && u.NodeState == FleetNodeState.Stale;
            await sse.WaitForAsync(e => e.Name == "fleet" && Stale(Parse(e.Data)));
            WaitForLine(lines, Stale);
        }
        finally
        {
            if (!watch.HasExited) { watch.Kill(); watch.WaitForExit(); }
            await reader;
        }
    }

    [Fact]
    public async Task A_watch_outlives_a_registry_outage_and_sees_what_changed_meanwhile()
    {
        var db = _pg.CreateDatabase();
        var suffix = Guid.NewGuid().ToString("N")[..6];
        string nameA = "outage-a-" + suffix, nameB = "outage-b-" + suffix;
        using var repo = new TestRepository();
        using var a = new ListenerNode(new CliHarness());
        using var b = new ListenerNode(new CliHarness());
        repo.WriteSleeper("v1", a.Cli.StateDir).CommitAndPush("v1");
        a.Cli.Add(repo, "shop");
        a.Cli.Run("fleet", "join", "--registry", _pg.Uri(db), "--name", nameA, "--interval", "0.3").ShouldExit(0);
        b.Cli.Run("fleet", "join", "--registry", _pg.Uri(db), "--name", nameB, "--interval", "0.3").ShouldExit(0);
        a.StartListener();
        using var watch = b.Cli.Start("fleet", "watch", "--json");
        var lines = new BlockingCollection<string>();
        var reader = Task.Run(() =>
        {
            try { while (watch.StandardOutput.ReadLine() is { } l) lines.Add(l); }
            finally { lines.CompleteAdding(); }
        });
        try
        {
            WaitForLine(lines, u => u.Node == nameA && u.Project == "shop");
            _pg.Stop();
            try
            {
                // Made while the registry is down: A queues it, the watch on B cannot hear of it yet.
                a.Cli.Add(repo, "blog");
                Thread.Sleep(1500);
                Assert.False(watch.HasExited, "fleet watch ended when the registry went away");
            }
            finally { _pg.Start(); }
            var blog = WaitForLine(lines, u => u.Node == nameA && u.Project == "blog" && u.Kind == FleetUpdateKind.Project);
            Assert.Equal(ProjectStatus.Registered, blog.Status);
        }
        finally
        {
            if (!watch.HasExited) { watch.Kill(); watch.WaitForExit(); }
            await reader;
        }
    }

    private static FleetUpdate Parse(string json) => FleetJson.Deserialize(json)!;

    /// <summary>Reads `fleet watch --json` lines until one matches (bounded by a guard, never a timing assertion).</summary>
    private static FleetUpdate WaitForLine(BlockingCollection<string> lines, Func<FleetUpdate, bool> match)
    {
        var until = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < until)
        {
            if (!lines.TryTake(out var line, TimeSpan.FromSeconds(1)))
            {
                if (lines.IsCompleted) Assert.Fail("fleet watch ended before the awaited change");
                continue;
            }
            FleetUpdate? u;
            try { u = FleetJson.Deserialize(line); }
            catch (JsonException) { Assert.Fail("fleet watch --json wrote a line that is not JSON: " + line); throw; }
            if (u is not null && match(u)) return u;
        }
        Assert.Fail("the awaited change did not reach fleet watch");
        throw new InvalidOperationException();
    }
}
