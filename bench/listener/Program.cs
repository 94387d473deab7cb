// Listener benchmark: signed GitHub push deliveries from N concurrent connections against the listener
// running in-process on loopback, with 1 and with 200 registered projects. Prints throughput, latency to
// the 202, deploy requests caused, and lost acknowledgements (202s whose delivery is not in the store).
using CicdOps;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using CicdOps.Engine.Listener;
using CicdOps.Engine.Model;
using CicdOps.Engine.Deploy;
using CicdOps.Engine.State;
using CicdOps.Engine.Webhooks;

var connections = args.Length > 0 ? int.Parse(args[0]) : 16;
var seconds = args.Length > 1 ? double.Parse(args[1]) : 5;
Console.WriteLine($"listener benchmark: {connections} connections, {seconds:0.#} s per scenario, {Environment.ProcessorCount} cores, .NET {Environment.Version}, client {(Scenario.UseHttpClient ? "HttpClient" : "raw sockets")}");
var order = (Environment.GetEnvironmentVariable("ORDER") ?? "1,200").Split(",").Select(int.Parse).ToArray();
// The real engine behind the listener first: SQLite queue, real projects on a local bare repository, real
// deploys. First, because the JIT optimises the shared listener code for whatever ran it first (dynamic PGO),
// and a production listener only ever runs the engine path.
if (Environment.GetEnvironmentVariable("ENGINE") != "0")
{
    foreach (var projects in order)
        await EngineScenario.RunThroughputAsync(projects, connections, TimeSpan.FromSeconds(seconds));
    var burst = int.TryParse(Environment.GetEnvironmentVariable("BURST"), out var n) ? n : 200;
    if (burst > 0) await EngineScenario.RunBurstAsync(burst, connections);
    if (Environment.GetEnvironmentVariable("CALLS") != "0")
        foreach (var projects in order)
            await EngineScenario.RunEngineCallsAsync(projects, connections, TimeSpan.FromSeconds(Math.Min(seconds, 2)));
}
// The peer: @octokit/webhooks in Node (verifies and parses, records nothing), same payload and load, same run.
if (Environment.GetEnvironmentVariable("OCTOKIT") != "0") await Scenario.RunOctokitAsync(connections, TimeSpan.FromSeconds(seconds));
// Baselines in the same run: the delivery store alone, a bare HttpListener answering 202 at once (the ceiling for
// this machine now), and the listener with an in-memory deploy target.
if (Environment.GetEnvironmentVariable("INMEMORY") != "0")
{
    await Scenario.RunStoreOnlyAsync(connections, TimeSpan.FromSeconds(seconds));
    await Scenario.RunBaselineAsync(connections, TimeSpan.FromSeconds(seconds));
    foreach (var projects in order)
        await Scenario.RunAsync(projects, connections, TimeSpan.FromSeconds(seconds));
}

internal static class Scenario
{
    /// <summary>CLIENT=http loads with HttpClient; otherwise with the raw-socket client (RawLoad.cs).</summary>
    public static readonly bool UseHttpClient = Environment.GetEnvironmentVariable("CLIENT") == "http";

    /// <summary>
    /// Load before measuring (WARM seconds, default 10): a listener runs for days, and on 2 cores the tiered JIT
    /// recompiling the hot path competes with it for most of the first seconds.
    /// </summary>
    public static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable("WARM"), out var w) ? w : 10);

    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("bench secret");

    public static async Task RunAsync(int projectCount, int connections, TimeSpan duration)
    {
        var dir = Path.Combine(Path.GetTempPath(), "cicdops-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var target = new CountingDeployTarget(projectCount);
            var store = WebhookDeliveryStore.Open(dir);
            var port = FreePort();
            // Log lines are formatted as in production but go nowhere, so the console does not dominate.
            var sink = TextWriter.Synchronized(new StreamWriter(Stream.Null));
            var options = new ListenerOptions { Port = port, BindAddress = "127.0.0.1", Secret = Secret, Log = sink.WriteLine, MaxConcurrentRequests = 64 };
            await using var listener = new WebhookListener(options, target, store, new CicdOps.Server.KestrelHttpServer(options));
            listener.Start();

            var body = Encoding.UTF8.GetBytes(PushPayload(target.TargetRepository));
            var signature = SignatureVerifier.GitHubSignature(body, Secret);
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections, UseProxy = false });
            var url = new Uri($"http://127.0.0.1:{port}/webhook");

            var payloads = new[] { (body, signature) };
            await Load(http, url, payloads, connections, WarmUp, "warm"); // JIT tiering, pools
            var before = target.Requests;
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var (alloc0, gcs0) = (GC.GetTotalAllocatedBytes(), GC.CollectionCount(0));
            var sw = Stopwatch.StartNew();
            var results = await Load(http, url, payloads, connections, duration, "run");

            var elapsed = sw.Elapsed.TotalSeconds;
            var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds / Math.Max(1, results.Count);
            var (alloc, gcs) = ((GC.GetTotalAllocatedBytes() - alloc0) / Math.Max(1, results.Count) / 1024.0, GC.CollectionCount(0) - gcs0);
            var deploys = target.Requests - before;
            await listener.StopAsync(); // waits for requests still recording their outcome

            var accepted = results.Where(r => r.Status == 202).ToList();
            var recorded = store.List(int.MaxValue, "github").Where(d => d.Accepted && d.Outcome == "queued").Select(d => d.DeliveryId).ToHashSet();
            var lost = accepted.Count(r => !recorded.Contains(r.Delivery));
            var latencies = accepted.Select(r => r.Ms).OrderBy(x => x).ToArray();
            Console.WriteLine(
                $"projects={projectCount,-4} deliveries={results.Count,-7} deliveries/s={results.Count / elapsed,8:0} " +
                $"p50={Percentile(latencies, 0.50):0.00}ms p99={Percentile(latencies, 0.99):0.00}ms max={latencies.LastOrDefault():0.0}ms " +
                $"202={accepted.Count} other={results.Count - accepted.Count} deploy-requests={deploys} lost-acks={lost} cpu/delivery={cpu:0.00}ms alloc/delivery={alloc:0.0}KB gen0-gcs={gcs} load={Uptime.Load()}");
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, true);
        }
    }

    // The delivery store alone: claim with its outcome (one write) per delivery from N concurrent callers (no HTTP).
    public static async Task RunStoreOnlyAsync(int connections, TimeSpan duration)
    {
        var dir = Path.Combine(Path.GetTempPath(), "cicdops-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var store = WebhookDeliveryStore.Open(dir);
            var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            var sw = Stopwatch.StartNew();
            var counts = await Task.WhenAll(Enumerable.Range(0, connections).Select(w => Task.Run(async () =>
            {
                var n = 0;
                while (Stopwatch.GetTimestamp() < until)
                {
                    await store.ClaimAsync(new WebhookDeliveryStart { Provider = "github", DeliveryId = $"{w}-{n}", Event = "push", Signature = "valid", Repository = "github.com/org/app", Ref = "refs/heads/main", Commit = "6113728f27ae82c7b1a177c8d03f9e96e0adf246" },
                        _ => new DeliveryOutcome<int>("queued", 202, "[]", 0));
                    n++;
                }
                return n;
            })));
            Console.WriteLine($"store only (claim + outcome, no HTTP)    deliveries/s={counts.Sum() / sw.Elapsed.TotalSeconds,8:0} load={Uptime.Load()}");
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, true);
        }
    }

    /// <summary>Deliveries/s and p99 of the engine with one project, for the ratio printed beside the octokit peer.</summary>
    public static (double Rate, double P99)? EngineOneProject;

    /// <summary>
    /// @octokit/webhooks (bench/listener/octokit, installed here with npm on first use) under the same signed pushes
    /// and the same load generator; prints its figures and the ratio of the engine's (1 project) to them.
    /// </summary>
    public static async Task RunOctokitAsync(int connections, TimeSpan duration)
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "octokit");
        dir = Path.GetFullPath(Directory.Exists(dir) ? dir : Path.Combine(Environment.CurrentDirectory, "bench", "listener", "octokit"));
        if (!Directory.Exists(Path.Combine(dir, "node_modules", "@octokit", "webhooks")))
        {
            var npm = Process.Start(new ProcessStartInfo("npm", "install --no-audit --no-fund --silent") { WorkingDirectory = dir })!;
            await npm.WaitForExitAsync();
            if (npm.ExitCode != 0) { Console.WriteLine("octokit peer: npm install failed; skipped"); return; }
        }
        var port = FreePort();
        var psi = new ProcessStartInfo("node", "server.mjs") { WorkingDirectory = dir, RedirectStandardOutput = true };
        psi.Environment["PORT"] = port.ToString();
        psi.Environment["SECRET"] = Encoding.UTF8.GetString(Secret);
        using var node = Process.Start(psi)!;
        try
        {
            if (await node.StandardOutput.ReadLineAsync() != "ready") { Console.WriteLine("octokit peer: did not start; skipped"); return; }
            var body = Encoding.UTF8.GetBytes(PushPayload("app0"));
            var payloads = new[] { (body, SignatureVerifier.GitHubSignature(body, Secret)) };
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections, UseProxy = false });
            var url = new Uri($"http://127.0.0.1:{port}/webhook");
            await Load(http, url, payloads, connections, WarmUp, "warm");
            var sw = Stopwatch.StartNew();
            var results = await Load(http, url, payloads, connections, duration, "run");
            var elapsed = sw.Elapsed.TotalSeconds;
            var ok = results.Where(r => r.Status == 200).ToList();
            var latencies = ok.Select(r => r.Ms).OrderBy(x => x).ToArray();
            var rate = ok.Count / elapsed;
            var p99 = Percentile(latencies, 0.99);
            var ratio = EngineOneProject is { } e ? $" ratio(engine 1 project / octokit): rate={e.Rate / rate:0.00} p99={p99 / e.P99:0.00} (>= 1.0 is better)" : "";
            Console.WriteLine($"peer @octokit/webhooks (node {node.Id}, records nothing) deliveries/s={rate,6:0} p50={Percentile(latencies, 0.50):0.00}ms p99={p99:0.00}ms " +
                              $"200={ok.Count} other={results.Count - ok.Count} load={Uptime.Load()}{ratio}");
        }
        finally
        {
            try { node.Kill(); } catch (InvalidOperationException) { }
        }
    }

    public static async Task RunBaselineAsync(int connections, TimeSpan duration)
    {
        var port = FreePort();
        using var raw = new HttpListener();
        raw.Prefixes.Add($"http://127.0.0.1:{port}/");
        raw.Start();
        var reply = Encoding.UTF8.GetBytes("{\"outcome\":\"queued\"}");
        var loops = Enumerable.Range(0, 2).Select(loop => Task.Run(async () =>
        {
            while (raw.IsListening)
            {
                HttpListenerContext ctx;
                try { ctx = await raw.GetContextAsync(); } catch (Exception) { return; }
                _ = Task.Run(async () =>
                {
                    await ctx.Request.InputStream.CopyToAsync(Stream.Null);
                    ctx.Response.StatusCode = 202;
                    ctx.Response.ContentLength64 = reply.Length;
                    await ctx.Response.OutputStream.WriteAsync(reply);
                    ctx.Response.Close();
                });
            }
        })).ToArray();
        var body = Encoding.UTF8.GetBytes(PushPayload("app0"));
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections, UseProxy = false });
        var url = new Uri($"http://127.0.0.1:{port}/webhook");
        var payloads = new[] { (body, "sha256=0") };
        await Load(http, url, payloads, connections, TimeSpan.FromSeconds(1), "warm");
        var sw = Stopwatch.StartNew();
        var results = await Load(http, url, payloads, connections, duration, "run");
        var elapsed = sw.Elapsed.TotalSeconds;
        var latencies = results.Select(r => r.Ms).OrderBy(x => x).ToArray();
        Console.WriteLine($"baseline (bare HttpListener, no work) deliveries/s={results.Count / elapsed,8:0} p50={Percentile(latencies, 0.50):0.00}ms p99={Percentile(latencies, 0.99):0.00}ms load={Uptime.Load()}");
        raw.Stop();
    }

    /// <summary>N connections posting as fast as they can until <paramref name="duration"/> ends, rotating through the payloads.</summary>
    internal static async Task<List<Result>> Load(HttpClient http, Uri url, (byte[] Body, string Signature)[] payloads, int connections, TimeSpan duration, string tag)
    {
        if (!UseHttpClient) return await RawLoad.RunAsync(url, payloads, connections, duration, tag);
        var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var workers = Enumerable.Range(0, connections).Select(w => Task.Run(async () =>
        {
            var list = new List<Result>(16384);
            for (var i = 0; Stopwatch.GetTimestamp() < until; i++)
            {
                var guid = Guid.NewGuid();
                var (body, signature) = payloads[(w + i) % payloads.Length];
                var r = await PostAsync(http, url, body, signature, Result.Id(tag, w, i, guid));
                list.Add(new Result(tag, w, i, guid, r.Status, r.Ms));
            }
            return list;
        })).ToArray();
        return (await Task.WhenAll(workers)).SelectMany(x => x).ToList();
    }

    /// <summary>One signed push delivery; returns its delivery id, status and latency to the response.</summary>
    internal static async Task<Result> PostAsync(HttpClient http, Uri url, byte[] body, string signature, string id)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        req.Content.Headers.ContentType = new("application/json");
        req.Headers.Add("X-GitHub-Event", "push");
        req.Headers.Add("X-GitHub-Delivery", id);
        req.Headers.Add("X-Hub-Signature-256", signature);
        var t0 = Stopwatch.GetTimestamp();
        using var resp = await http.SendAsync(req);
        await resp.Content.ReadAsByteArrayAsync();
        return new Result(id, (int)resp.StatusCode, Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
    }

    internal static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    private static string PushPayload(string repo) => JsonSerializer.Serialize(new
    {
        @ref = "refs/heads/main",
        before = "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
        after = "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
        created = false,
        deleted = false,
        commits = new[] { new { id = "6113728f27ae82c7b1a177c8d03f9e96e0adf246", message = "Update README", author = new { name = "Mona", email = "mona@example.com" } } },
        head_commit = new { id = "6113728f27ae82c7b1a177c8d03f9e96e0adf246", message = "Update README" },
        repository = new
        {
            name = repo, full_name = "org/" + repo, html_url = "https://github.com/org/" + repo,
            clone_url = $"https://github.com/org/{repo}.git", ssh_url = $"git@github.com:org/{repo}.git", git_url = $"git://github.com/org/{repo}.git",
        },
        pusher = new { name = "mona" },
    });

    internal static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    /// <summary>
    /// One request's outcome. A struct without a per-request string: the client runs in the measured process, and a
    /// string and an object per request kept until the end (about 10 MB per 5 s at 13k/s) were promoted by every young
    /// GC, which then paused the listener for 3–45 ms (gen1 copying 5–8 MB) — a cost of the benchmark, not of a server.
    /// The delivery id is rebuilt from its parts when it is needed (the lost-acknowledgement count).
    /// </summary>
    internal readonly record struct Result(string Tag, int Worker, int Index, Guid Guid, int Status, double Ms)
    {
        /// <summary>An explicit id (the burst's few requests): <see cref="Tag"/> is the id.</summary>
        public Result(string id, int status, double ms) : this(id, -1, 0, default, status, ms) { }

        public string Delivery => Worker < 0 ? Tag : Id(Tag, Worker, Index, Guid);

        public static string Id(string tag, int worker, int index, Guid guid) => $"{tag}-{worker}-{index}-{guid:N}";
    }
}

/// <summary>An in-memory deploy target with N projects (one per repository) that counts deployment requests.</summary>
internal sealed class CountingDeployTarget : IDeployTarget
{
    private readonly List<Project> _projects;
    private long _requests;

    public CountingDeployTarget(int count)
    {
        _projects = Enumerable.Range(0, count)
            .Select(i => new Project { Name = $"app{i}", Repository = $"git@github.com:org/app{i}.git", Branch = "main", Path = $"/srv/app{i}" })
            .ToList();
        // The pushed repository is the last one, so matching walks every project.
        TargetRepository = $"app{count - 1}";
    }

    public string TargetRepository { get; }
    public long Requests => Interlocked.Read(ref _requests);

    public IReadOnlyList<Project> GetProjects() => _projects;

    public QueuedDeployment Queue(Statements tx, string project, string commit) =>
        new(project, Interlocked.Increment(ref _requests), DeploymentStatus.Queued, NeedsRunner: false);

    public void Committed(QueuedDeployment queued) { }
}
