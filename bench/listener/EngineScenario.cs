// The listener in front of the REAL engine: CicdEngine.Open on a temp data directory, projects registered
// against a local bare git repository (file://), the SQLite queue, and real deploys (git fetch/reset,
// run.sh `exec sleep 600`, health.sh `true`) running on in-process runners while the load goes on.
//
// 1 project:    project p0 on branch main; every push names main.
// 200 projects: p000..p199 on branches b000..b199 of the SAME repository; every push names b199 only, so the
//               listener matches all 200 projects by repository and deploys exactly one (the other 199 are
//               answered "ignored: other branch" in the reply and in the delivery record).
// Each push carries the SHA of a real commit of that branch (8 commits pushed first, rotated), so the
// deploys that run succeed instead of failing at sync with "commit not found".
using CicdOps;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using CicdOps.Engine;
using CicdOps.Engine.Listener;
using CicdOps.Engine.Model;
using CicdOps.Engine.Webhooks;
using Microsoft.Data.Sqlite;

internal static class EngineScenario
{
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("bench secret");
    private const int CommitCount = 8;
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(120);

    public static async Task RunThroughputAsync(int projectCount, int connections, TimeSpan duration)
    {
        await using var f = await Fixture.CreateAsync(projectCount);
        var payloads = f.Commits.Select(c => f.Signed(c)).ToArray();
        using var http = NewClient(connections);

        await Scenario.Load(http, f.Url, payloads, connections, Scenario.WarmUp, "warm"); // JIT tiering, pools; starts a deploy
        var before = f.MaxDeploymentId();
        var load = Uptime.Load();
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var (alloc0, gcs0) = (GC.GetTotalAllocatedBytes(), GC.CollectionCount(0));
        var (gen1s0, gen2s0, pause0) = (GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());
        var sw = Stopwatch.StartNew();
        // The WAL's size while the load runs (sampled every 20 ms): what the writer's resets keep it to.
        var walPeak = 0L;
        var restarts0 = f.Listener.WalRestarts;
        var hard0 = f.Listener.WalCheckpointer.HardResets;
        var stall0 = f.Listener.WalCheckpointer.ResetStall;
        var soft0 = f.Listener.WalCheckpointer.SoftResets;
        var writer0 = f.Listener.WriterStats;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            var wal = new FileInfo(f.Db + "-wal");
            while (!sampling.IsCancellationRequested)
            {
                wal.Refresh();
                if (wal.Exists) walPeak = Math.Max(walPeak, wal.Length);
                try { await Task.Delay(20, sampling.Token); } catch (OperationCanceledException) { }
            }
        });
        var results = await Scenario.Load(http, f.Url, payloads, connections, duration, "run");
        var elapsed = sw.Elapsed.TotalSeconds;
        sampling.Cancel();
        await sampler;
        var walRestarts = f.Listener.WalRestarts - restarts0;
        var ckpt = f.Listener.WalCheckpointer;
        var hardResets = ckpt.HardResets - hard0;
        var stall = ckpt.ResetStall - stall0;
        var soft = ckpt.SoftResets;
        var (softTried, softBusy) = (soft.Tried - soft0.Tried, soft.BusyPass - soft0.BusyPass + soft.BusyReaders - soft0.BusyReaders);
        var walBound = ckpt.MaxWalBytes;
        var writer1 = f.Listener.WriterStats;
        var (batches, writes, busy) = (writer1.Batches - writer0.Batches, writer1.Writes - writer0.Writes, writer1.Busy - writer0.Busy);
        // This process only (client, listener, engine, runner threads); git and the app are child processes, not counted.
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds / Math.Max(1, results.Count);
        var (alloc, gcs) = ((GC.GetTotalAllocatedBytes() - alloc0) / Math.Max(1, results.Count) / 1024.0, GC.CollectionCount(0) - gcs0);
        // Every GC of the measured window (the counts include the younger generations' of an older one) and the time the
        // runtime was paused for them: a pause stalls every request in flight.
        var pause = (GC.GetTotalPauseDuration() - pause0).TotalMilliseconds;
        var gcText = $"gcs={gcs}/{GC.CollectionCount(1) - gen1s0}/{GC.CollectionCount(2) - gen2s0} (gen0/1/2) gc-pause={pause:0}ms";
        await f.Listener.StopAsync(); // waits for requests still recording their outcome
        var idle = await f.WaitIdleAsync();

        var accepted = results.Where(r => r.Status == 202).ToList();
        var recorded = f.QueuedDeliveryIds();
        var lost = accepted.Count(r => !recorded.Contains(r.Delivery));
        foreach (var r in accepted.Where(r => !recorded.Contains(r.Delivery)).Take(3)) Console.WriteLine("  lost: " + f.Describe(r.Delivery));
        var latencies = accepted.Select(r => r.Ms).OrderBy(x => x).ToArray();
        var (requests, runs, byStatus) = f.DeploymentsAfter(before);
        if (projectCount == 1) Scenario.EngineOneProject = (results.Count / elapsed, Scenario.Percentile(latencies, 0.99));
        Console.WriteLine(
            $"engine projects={projectCount,-4} deliveries={results.Count,-6} deliveries/s={results.Count / elapsed,6:0} " +
            $"p50={Scenario.Percentile(latencies, 0.50):0.00}ms p90={Scenario.Percentile(latencies, 0.90):0.00}ms p95={Scenario.Percentile(latencies, 0.95):0.00}ms p99={Scenario.Percentile(latencies, 0.99):0.00}ms max={latencies.LastOrDefault():0.0}ms " +
            $"202={accepted.Count} other={results.Count - accepted.Count} lost-acks={lost} deploy-requests={requests} deploys-run={runs} " +
            $"[{byStatus}] idle-after={idle.TotalSeconds:0.0}s wal-peak={walPeak / 1048576.0:0.0}MB/bound {walBound / 1048576.0:0}MB ({(walPeak <= walBound ? "held" : "NOT held")}) wal-resets={walRestarts} (non-blocking tries {softTried}, {softBusy} refused; waited {hardResets}, longest {ckpt.LongestHardReset.TotalMilliseconds:0}ms; writer stalled {stall.TotalMilliseconds:0}ms in all) cpu/delivery={cpu:0.00}ms alloc/delivery={alloc:0.0}KB {gcText} " +
            $"writer: busy={busy.TotalSeconds / elapsed:P0} batch={writes / (double)Math.Max(1, batches):0.0} writes per={busy.TotalMilliseconds * 1000 / Math.Max(1, writes):0}us load={load}");
    }

    /// <summary>
    /// The engine calls the CLI and cmdlets make, without HTTP, from N concurrent callers and from one: GetProjects
    /// (every project row; the listener reads it at most once a second) and RequestDeployment (a BEGIN IMMEDIATE
    /// transaction of its own; the listener queues inside its deliveries' group commit instead).
    /// </summary>
    public static async Task RunEngineCallsAsync(int projectCount, int connections, TimeSpan duration)
    {
        await using var f = await Fixture.CreateAsync(projectCount);
        var load = Uptime.Load();
        var (getRate, getLat) = await Calls(connections, duration, _ => f.Engine.GetProjects());
        var (reqRate, reqLat) = await Calls(connections, duration, i => f.Engine.RequestDeployment(
            new DeploymentRequest { Project = f.Target, Commit = f.Commits[i % CommitCount], Trigger = DeploymentTrigger.Webhook }));
        var (req1Rate, req1Lat) = await Calls(1, duration, i => f.Engine.RequestDeployment(
            new DeploymentRequest { Project = f.Target, Commit = f.Commits[i % CommitCount], Trigger = DeploymentTrigger.Webhook }));
        await f.WaitIdleAsync();
        Console.WriteLine(
            $"engine calls projects={projectCount,-4} GetProjects x{connections}: {getRate,6:0}/s p99={Scenario.Percentile(getLat, 0.99):0.00}ms | " +
            $"RequestDeployment x{connections}: {reqRate,5:0}/s p50={Scenario.Percentile(reqLat, 0.5):0.00}ms p99={Scenario.Percentile(reqLat, 0.99):0.00}ms | " +
            $"x1: {req1Rate,5:0}/s p99={Scenario.Percentile(req1Lat, 0.99):0.00}ms load={load}");
    }

    private static async Task<(double Rate, double[] Sorted)> Calls(int callers, TimeSpan duration, Action<int> call)
    {
        var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var sw = Stopwatch.StartNew();
        var lists = await Task.WhenAll(Enumerable.Range(0, callers).Select(w => Task.Run(() =>
        {
            var list = new List<double>();
            for (var i = w; Stopwatch.GetTimestamp() < until; i++)
            {
                var t0 = Stopwatch.GetTimestamp();
                call(i);
                list.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }
            return list;
        })));
        var all = lists.SelectMany(x => x).OrderBy(x => x).ToArray();
        return (all.Length / sw.Elapsed.TotalSeconds, all);
    }

    /// <summary>
    /// N pushes to one deployed, idle project as fast as 16 connections send them (N-1 concurrently, then the
    /// last one once those are answered, so "last" is well defined); then waits for the queue to drain.
    /// </summary>
    public static async Task RunBurstAsync(int n, int connections)
    {
        await using var f = await Fixture.CreateAsync(1);
        // Deployed and idle before the burst: the app of commit 0 serves.
        var first = f.Engine.RequestDeployment(new DeploymentRequest { Project = f.Target, Commit = f.Commits[0] });
        var initial = await f.Engine.WaitForDeploymentAsync(first.Id, null, CancellationToken.None);
        if (initial.Status != DeploymentStatus.Succeeded) throw new Exception($"initial deploy: {initial.Status} {initial.Reason}");
        var before = f.MaxDeploymentId();

        // Pushes 1..N-1 rotate through commits 1..6; the last push names commit 7 (the branch tip).
        var last = f.Commits[^1];
        var bodies = Enumerable.Range(0, n - 1).Select(i => f.Signed(f.Commits[1 + i % (CommitCount - 2)])).ToArray();
        using var http = NewClient(connections);
        var load = Uptime.Load();
        var next = -1;
        var sw = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, connections).Select(_ => Task.Run(async () =>
        {
            var list = new List<Scenario.Result>();
            for (int i; (i = Interlocked.Increment(ref next)) < bodies.Length;)
                list.Add(await Scenario.PostAsync(http, f.Url, bodies[i].Body, bodies[i].Signature, $"burst-{i}-{Guid.NewGuid():N}"));
            return list;
        }));
        var results = (await Task.WhenAll(workers)).SelectMany(x => x).ToList();
        var (lastBody, lastSig) = f.Signed(last);
        results.Add(await Scenario.PostAsync(http, f.Url, lastBody, lastSig, $"burst-last-{Guid.NewGuid():N}"));
        var burstMs = sw.Elapsed.TotalMilliseconds;
        var idle = await f.WaitIdleAsync();

        var (requests, runs, byStatus) = f.DeploymentsAfter(before);
        var (lastSucceeded, current) = f.FinalCommits();
        var runTimes = f.RunTimes(before);
        var lastWon = lastSucceeded == last && current == last;
        Console.WriteLine(
            $"engine burst   pushes={n} in {burstMs:0}ms 202={results.Count(r => r.Status == 202)} deploy-requests={requests} " +
            $"deploys-run={runs} (goal <= 2: {(runs <= 2 ? "met" : "NOT met")}) [{byStatus}] last-commit-won={(lastWon ? "yes" : "NO")} " +
            $"(last pushed {last[..8]}, last Succeeded {lastSucceeded?[..8] ?? "-"}, serving {current?[..8] ?? "-"}) idle-after={idle.TotalSeconds:0.0}s load={load}");
        Console.WriteLine($"               runs (ms from the first push's queueing: started-finished): {runTimes}");
    }

    private static HttpClient NewClient(int connections) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = connections, UseProxy = false });

    private sealed class Fixture : IAsyncDisposable
    {
        public required string Root { get; init; }
        public required string Bare { get; init; }
        public required CicdEngine Engine { get; init; }
        public required WebhookListener Listener { get; init; }
        public required Uri Url { get; init; }
        public required string Target { get; init; }
        public required string TargetBranch { get; init; }
        public required IReadOnlyList<string> Commits { get; init; }
        public required IReadOnlyList<string> Projects { get; init; }
        public string Db => Path.Combine(Root, "data", "cicdops.db");

        public static async Task<Fixture> CreateAsync(int projectCount)
        {
            var root = Directory.CreateTempSubdirectory("cicdops-lbench-").FullName;
            // As root, projects run as their own users, who must be able to reach their trees below this directory.
            File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101);
            try
            {
                var bare = Path.Combine(root, "origin.git");
                var author = Path.Combine(root, "author");
                Git.Run(root, null, "init", "-q", "--bare", "--initial-branch=main", bare);
                Git.Run(root, null, "init", "-q", "--initial-branch=main", author);
                Git.Run(author, null, "config", "user.email", "bench@example.com");
                Git.Run(author, null, "config", "user.name", "bench");
                Directory.CreateDirectory(Path.Combine(author, ".cicd"));
                var exec = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
                File.WriteAllText(Path.Combine(author, ".cicd/run.sh"), "#!/bin/sh\nexec sleep 600\n");
                File.WriteAllText(Path.Combine(author, ".cicd/health.sh"), "#!/bin/sh\ntrue\n");
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(Path.Combine(author, ".cicd/run.sh"), exec);
                    File.SetUnixFileMode(Path.Combine(author, ".cicd/health.sh"), exec);
                }
                var commits = new List<string>();
                for (var i = 0; i < CommitCount; i++)
                {
                    File.WriteAllText(Path.Combine(author, "version"), $"v{i}\n");
                    Git.Run(author, null, "add", "-A");
                    Git.Run(author, null, "commit", "-q", "-m", $"v{i}");
                    commits.Add(Git.Run(author, null, "rev-parse", "HEAD").Trim());
                }
                Git.Run(author, null, "push", "-q", bare, "HEAD:refs/heads/main");

                string Name(int i) => projectCount == 1 ? "p0" : $"p{i:000}";
                string Branch(int i) => projectCount == 1 ? "main" : $"b{i:000}";
                if (projectCount > 1)
                    Git.Run(bare, string.Concat(Enumerable.Range(0, projectCount).Select(i => $"create refs/heads/{Branch(i)} {commits[^1]}\n")),
                        "update-ref", "--stdin");

                var engine = CicdEngine.Open(new EngineOptions { DataPath = Path.Combine(root, "data"), StopGracePeriod = TimeSpan.FromSeconds(2) });
                var names = new List<string>();
                for (var i = 0; i < projectCount; i++)
                {
                    engine.RegisterProject(new ProjectSpec { Name = Name(i), Repository = "file://" + bare, Branch = Branch(i), Path = Path.Combine(root, "trees", Name(i)),
                        // The bench measures delivery handling and deploy queueing; pipeline runs (push by default) would clone per delivery.
                        PipelineEvents = Array.Empty<string>() });
                    names.Add(Name(i));
                }
                var port = Scenario.FreePort();
                // Log lines are formatted as in production but go nowhere, so the console does not dominate.
                var sink = TextWriter.Synchronized(new StreamWriter(Stream.Null));
                var options = new ListenerOptions
                {
                    Port = port, BindAddress = "127.0.0.1", Secret = Secret, Log = sink.WriteLine, MaxConcurrentRequests = 64,
                    // WALBOUND=<MB>: another WAL bound, to measure what the resets cost (the product's is 64 MB).
                    MaxWalBytes = long.TryParse(Environment.GetEnvironmentVariable("WALBOUND"), out var mb) ? mb * 1024 * 1024 : CicdOps.Engine.State.WalCheckpointer.DefaultMaxWalBytes,
                };
                var listener = engine.CreateWebhookListener(options, new CicdOps.Server.KestrelHttpServer(options));
                listener.Start();
                await Task.Yield();
                return new Fixture
                {
                    Root = root, Bare = bare, Engine = engine, Listener = listener, Url = new Uri($"http://127.0.0.1:{port}/webhook"),
                    Target = Name(projectCount - 1), TargetBranch = Branch(projectCount - 1), Commits = commits, Projects = names,
                };
            }
            catch
            {
                SqliteConnection.ClearAllPools();
                try { Directory.Delete(root, true); } catch (Exception) { }
                throw;
            }
        }

        /// <summary>A signed push of <paramref name="commit"/> to the target branch, clone_url the file:// URL.</summary>
        public (byte[] Body, string Signature) Signed(string commit)
        {
            var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
            {
                @ref = "refs/heads/" + TargetBranch,
                before = Commits[0],
                after = commit,
                created = false,
                deleted = false,
                commits = new[] { new { id = commit, message = "bench", author = new { name = "bench", email = "bench@example.com" } } },
                head_commit = new { id = commit, message = "bench" },
                repository = new { name = "origin", full_name = "local/origin", clone_url = "file://" + Bare },
                pusher = new { name = "bench" },
            }));
            return (body, SignatureVerifier.GitHubSignature(body, Secret));
        }

        private SqliteConnection Open()
        {
            var c = new SqliteConnection($"Data Source={Db};Mode=ReadOnly;Pooling=False");
            c.Open();
            return c;
        }

        private static T Scalar<T>(SqliteConnection c, string sql)
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = sql;
            var v = cmd.ExecuteScalar();
            return v is null or DBNull ? default! : (T)Convert.ChangeType(v, typeof(T));
        }

        public long MaxDeploymentId() { using var c = Open(); return Scalar<long>(c, "SELECT COALESCE(MAX(id), 0) FROM deployments"); }

        /// <summary>What the store recorded for one delivery id (to say why an acknowledgement counts as lost).</summary>
        public string Describe(string delivery)
        {
            using var c = Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT accepted, outcome, status_code, substr(detail, 1, 300) FROM webhook_deliveries WHERE delivery_id = $id";
            cmd.Parameters.AddWithValue("$id", delivery);
            using var r = cmd.ExecuteReader();
            return r.Read() ? $"{delivery}: accepted={r.GetValue(0)} outcome={r.GetValue(1)} status={r.GetValue(2)} detail={r.GetValue(3)}" : $"{delivery}: no row";
        }

        /// <summary>Delivery ids the store records as accepted and queued.</summary>
        public HashSet<string> QueuedDeliveryIds()
        {
            using var c = Open();
            using var cmd = c.CreateCommand();
            // "stale": queued and acknowledged, then skipped by its runner because a newer commit was already deployed
            // (the rotated commits of the load make that happen); it was recorded and queued like the others.
            cmd.CommandText = "SELECT delivery_id FROM webhook_deliveries WHERE accepted = 1 AND outcome IN ('queued', 'stale') AND status_code = 202";
            var set = new HashSet<string>();
            using var r = cmd.ExecuteReader();
            while (r.Read()) set.Add(r.GetString(0));
            return set;
        }

        /// <summary>Deployment rows created after <paramref name="before"/>, how many ran (started_at set), and a status breakdown.</summary>
        public (long Requests, long Runs, string ByStatus) DeploymentsAfter(long before)
        {
            using var c = Open();
            var requests = Scalar<long>(c, $"SELECT COUNT(*) FROM deployments WHERE id > {before}");
            var runs = Scalar<long>(c, $"SELECT COUNT(*) FROM deployments WHERE id > {before} AND started_at IS NOT NULL");
            using var cmd = c.CreateCommand();
            cmd.CommandText = $"SELECT status, COUNT(*) FROM deployments WHERE id > {before} GROUP BY status ORDER BY 2 DESC";
            var parts = new List<string>();
            using var r = cmd.ExecuteReader();
            while (r.Read()) parts.Add($"{r.GetString(0)}={r.GetInt64(1)}");
            return (requests, runs, string.Join(' ', parts));
        }

        /// <summary>The commit of the target's newest Succeeded deployment, and the project's current commit.</summary>
        public (string? LastSucceeded, string? Current) FinalCommits()
        {
            using var c = Open();
            return (Scalar<string?>(c, $"SELECT commit_sha FROM deployments WHERE project = '{Target}' AND status = 'Succeeded' ORDER BY id DESC LIMIT 1"),
                    Scalar<string?>(c, $"SELECT current_commit FROM projects WHERE name = '{Target}'"));
        }

        /// <summary>Start and finish of each deployment that ran after <paramref name="before"/>, in ms from the first one queued.</summary>
        public string RunTimes(long before)
        {
            using var c = Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = $"""
                SELECT started_at - (SELECT MIN(queued_at) FROM deployments WHERE id > {before}),
                       finished_at - (SELECT MIN(queued_at) FROM deployments WHERE id > {before}), status
                FROM deployments WHERE id > {before} AND started_at IS NOT NULL ORDER BY id
                """;
            var parts = new List<string>();
            using var r = cmd.ExecuteReader();
            while (r.Read()) parts.Add($"{r.GetInt64(0)}-{r.GetInt64(1)} {r.GetString(2)}");
            return string.Join(", ", parts);
        }

        /// <summary>Waits until no deployment is Queued or Running; returns how long that took.</summary>
        public async Task<TimeSpan> WaitIdleAsync()
        {
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed < IdleTimeout)
            {
                using (var c = Open())
                    if (Scalar<long>(c, "SELECT COUNT(*) FROM deployments WHERE status IN ('Queued', 'Running')") == 0) return sw.Elapsed;
                await Task.Delay(50);
            }
            throw new TimeoutException($"deployments still queued or running after {IdleTimeout.TotalSeconds:0} s");
        }

        /// <summary>Stops the listener and runners, unregisters every project (stopping its app), deletes the temp directory.</summary>
        public async ValueTask DisposeAsync()
        {
            await Listener.DisposeAsync();
            await Engine.ShutdownRunnersAsync(TimeSpan.FromSeconds(30));
            foreach (var p in Projects)
            {
                try { Engine.UnregisterProject(p, removeServiceUser: true); }
                catch (CicdException e) { Console.WriteLine($"  cleanup: {p}: {e.Message}"); }
            }
            Engine.Dispose();
            SqliteConnection.ClearAllPools();
            try { Directory.Delete(Root, true); } catch (Exception e) { Console.WriteLine($"  cleanup: {Root}: {e.Message}"); }
        }
    }

    private static class Git
    {
        public static string Run(string cwd, string? stdin, params string[] args)
        {
            var psi = new ProcessStartInfo("git") { WorkingDirectory = cwd, RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = stdin is not null, UseShellExecute = false };
            foreach (var a in args) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            if (stdin is not null) { p.StandardInput.Write(stdin); p.StandardInput.Close(); }
            var err = p.StandardError.ReadToEndAsync();
            var output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) throw new Exception($"git {string.Join(' ', args)}: {err.Result}");
            return output;
        }
    }
}

internal static class Uptime
{
    /// <summary>The 1-minute load average now (from /proc/loadavg), e.g. "5.62".</summary>
    public static string Load()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; }
        catch (IOException) { return "?"; }
    }
}
