using System.Collections.Concurrent;
using System.Diagnostics;
using CicdOps;
using CicdOps.Fleet;

// Registry sync at fleet scale against a real PostgreSQL: N simulated nodes × P projects publish like the sync loop
// does (a heartbeat per node every interval, spread over it), while M project changes are written at random nodes and
// timed from the start of the write to the moment a watcher (the registry's LISTEN/NOTIFY feed, as `fleet watch`, the
// SSE hub and Watch-CicdFleet read it) sees that change. The baseline, measured in the same run on the same server, is
// the same change → watcher with one node and one project and no other load.
var nodes = args.Length > 0 ? int.Parse(args[0]) : 1000;
var perNode = args.Length > 1 ? int.Parse(args[1]) : 20;
var changes = args.Length > 2 ? int.Parse(args[2]) : 300;
var interval = TimeSpan.FromSeconds(5);

using var pg = new PrivatePostgres();
Console.WriteLine($"PostgreSQL on port {pg.Port}; {nodes} nodes x {perNode} projects, {changes} timed changes, heartbeat every {interval.TotalSeconds} s");

await Measure(pg, "bench_warmup", 1, 1, 50, interval, background: false); // JIT and pools warm before anything is timed
var baseline = await Measure(pg, "bench_base", 1, 1, Math.Min(changes, 100), interval, background: false);
var loaded = await Measure(pg, "bench_fleet", nodes, perNode, changes, interval, background: true);
Console.WriteLine();
Console.WriteLine($"{"scenario",-34} {"p50 ms",8} {"p99 ms",8} {"max ms",8} {"seen",6}");
Print("baseline: 1 node x 1 project, idle", baseline);
Print($"{nodes} nodes x {perNode} projects, loaded", loaded);
Console.WriteLine($"ratio loaded/baseline: p50 {Pct(loaded, 50) / Pct(baseline, 50):0.0}x, p99 {Pct(loaded, 99) / Pct(baseline, 99):0.0}x; goal: p99 < 1000 ms");
return 0;

static void Print(string name, List<double> ms) =>
    Console.WriteLine($"{name,-34} {Pct(ms, 50),8:0.0} {Pct(ms, 99),8:0.0} {ms.DefaultIfEmpty(double.NaN).Max(),8:0.0} {ms.Count,6}");

static double Pct(List<double> ms, int p)
{
    if (ms.Count == 0) return double.NaN;
    var sorted = ms.OrderBy(x => x).ToList();
    return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p / 100.0 * sorted.Count) - 1)];
}

static async Task<List<double>> Measure(PrivatePostgres pg, string db, int nodes, int perNode, int changes, TimeSpan interval, bool background)
{
    await using (var admin = new Npgsql.NpgsqlConnection($"Host=127.0.0.1;Port={pg.Port};Username=bench;Password={pg.Password};Database=postgres"))
    {
        await admin.OpenAsync();
        await using var create = new Npgsql.NpgsqlCommand($"CREATE DATABASE {db}", admin);
        await create.ExecuteNonQueryAsync();
    }
    var uri = pg.Uri.Replace("/postgres", "/" + db);
    // Writers share one pool here; real nodes each hold their own connection.
    await using var writer = FleetRegistries.Open(uri);
    await using var watcher = FleetRegistries.Open(uri);
    await writer.InitializeAsync(default);
    var ids = Enumerable.Range(0, nodes).Select(i => $"node{i:D5}").ToArray();
    FleetNode Node(int i) => new()
    {
        Id = ids[i], Name = $"web-{i:D5}", Version = "0.1.0", SyncInterval = interval,
        Host = new HostStats { CpuPercent = 10, MemoryTotalBytes = 8L << 30, MemoryAvailableBytes = 4L << 30, DataDiskFreeBytes = 50L << 30, Load1 = 0.5 },
    };
    FleetProject Project(int node, int p, string commit) => new()
    {
        NodeId = ids[node], Node = $"web-{node:D5}", Name = $"app-{p:D2}", Repository = "https://git.example/app.git", Branch = "main",
        Status = ProjectStatus.Healthy, Commit = commit, LastGoodCommit = commit, Health = FleetHealth.Healthy, CpuPercent = 1, MemoryBytes = 50 << 20,
    };
    var sw = Stopwatch.StartNew();
    await Parallel.ForEachAsync(Enumerable.Range(0, nodes), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
    {
        await writer.PublishNodeAsync(Node(i), ct);
        await writer.UpsertProjectsAsync(Enumerable.Range(0, perNode).Select(p => Project(i, p, "0000000000000000000000000000000000000000")).ToList(), ct);
    });
    Console.WriteLine($"{db}: populated {nodes * perNode} projects in {sw.Elapsed.TotalSeconds:0.0} s");

    var sent = new ConcurrentDictionary<string, long>();
    var latencies = new List<double>();
    using var cts = new CancellationTokenSource();
    var seenAll = new TaskCompletionSource();
    var feed = watcher.WatchAsync(cts.Token).GetAsyncEnumerator(cts.Token);
    var first = feed.MoveNextAsync().AsTask();
    await Task.Delay(1000); // listening
    var reader = Task.Run(async () =>
    {
        try
        {
            var next = first;
            while (await next)
            {
                var c = feed.Current;
                if (c.ProjectRecord?.Commit is { } commit && sent.TryRemove(commit, out var at))
                {
                    lock (latencies) latencies.Add(Stopwatch.GetElapsedTime(at).TotalMilliseconds);
                    if (latencies.Count == changes) seenAll.TrySetResult();
                }
                next = feed.MoveNextAsync().AsTask();
            }
        }
        catch (OperationCanceledException) { }
    });

    // Every node reports once per interval, spread evenly: what the fleet's sync loops do when nothing changes.
    var heartbeats = !background ? Task.CompletedTask : Task.Run(async () =>
    {
        var pause = interval / nodes;
        var i = 0;
        var next = Stopwatch.GetTimestamp();
        while (!cts.IsCancellationRequested)
        {
            var n = i++ % nodes;
            _ = writer.PublishNodeAsync(Node(n), CancellationToken.None);
            next += (long)(pause.TotalSeconds * Stopwatch.Frequency);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
            if (wait > TimeSpan.FromMilliseconds(1)) await Task.Delay(wait);
        }
    });

    var rng = new Random(7);
    for (var k = 0; k < changes; k++)
    {
        var node = rng.Next(nodes);
        var project = rng.Next(perNode);
        var commit = $"{k:D8}" + Guid.NewGuid().ToString("N");
        sent[commit] = Stopwatch.GetTimestamp();
        await writer.UpsertProjectsAsync(new[] { Project(node, project, commit) }, default);
        await Task.Delay(50); // 20 changes/s on top of the heartbeats
    }
    await Task.WhenAny(seenAll.Task, Task.Delay(TimeSpan.FromSeconds(30)));
    cts.Cancel();
    await reader;
    await heartbeats;
    try { await feed.DisposeAsync(); } catch (OperationCanceledException) { }
    if (latencies.Count < changes) Console.WriteLine($"{db}: only {latencies.Count} of {changes} changes reached the watcher within 30 s");
    return latencies;
}
