using System.Net;
using CicdOps.Engine.Listener;
using CicdOps.Engine.State;
using CicdOps.Engine.Webhooks;
using CicdOps.Tests.Webhooks;
using Xunit;

namespace CicdOps.Tests.Listener;

/// <summary>What a flood leaves behind: unverified requests are counted, never stored one row each.</summary>
public class BoundedStateTests
{
    [Fact]
    public async Task Unauthenticated_posts_are_counted_not_stored()
    {
        await using var t = TestListener.Start(new SeededProjects().Add("app", "https://github.com/org/app"));
        var body = Payloads.GitHubPush();
        var forged = Enumerable.Range(0, 400).Select(i => Payloads.GitHubHeaders(body, "guess"u8.ToArray(), delivery: "forged-" + i)).ToList();
        foreach (var chunk in forged.Chunk(16))
            foreach (var (status, _) in await Task.WhenAll(chunk.Select(h => t.PostAsync(body, h))))
                Assert.Equal(HttpStatusCode.Unauthorized, status);
        var (unknown, _) = await t.PostAsync("{}", new Dictionary<string, string> { ["X-Nothing"] = "x" });
        Assert.Equal(HttpStatusCode.Unauthorized, unknown);
        var genuine = Payloads.GitHubHeaders(body, TestListener.SecretBytes, delivery: "genuine");
        Assert.Equal(HttpStatusCode.Accepted, (await t.PostAsync(body, genuine)).Status);

        Assert.Equal(401, t.Listener.Unverified);
        await t.Listener.DisposeAsync(); // stops and flushes the counts
        var counts = ReopenCounts(t.DataPath);
        Assert.Equal(400, counts.Single(c => c.Provider == "github" && c.StatusCode == 401).Count);
        Assert.Equal(1, counts.Single(c => c.Provider == "-" && c.StatusCode == 401).Count);
        Assert.Equal(new[] { "genuine" }, ReopenList(t.DataPath).Select(d => d.DeliveryId));
    }

    [Fact]
    public async Task Under_sustained_signed_load_the_WAL_stays_bounded_retention_prunes_and_a_clean_stop_folds_the_WAL_back()
    {
        const long limit = 512 * 1024;
        // Pinned: every delivery writes its record and a Skipped deployment in one transaction, and starts no runner.
        await using var t = TestListener.Start(new SeededProjects().Add("app", "https://github.com/org/app", pinned: Payloads.Before),
            o => o with { MaxWalBytes = limit });
        var body = Payloads.GitHubPush();
        var wal = new FileInfo(Path.Combine(t.DataPath, "cicdops.db-wal"));
        const int total = 2000;
        // The file's size is watched the whole time, not only between chunks: the bound holds at every moment (the
        // writer resets the log before the commit after it reaches half the bound, waiting if it must), not just on
        // average. 2,000 deliveries write far more than the bound, so without resets the peak would pass it.
        long peak;
        using (var sampler = WalSampler.Start(wal))
        {
            foreach (var chunk in Enumerable.Range(0, total).Chunk(32))
                foreach (var (status, _) in await Task.WhenAll(chunk.Select(i => t.PostAsync(body, Payloads.GitHubHeaders(body, TestListener.SecretBytes, delivery: "load-" + i)))))
                    Assert.Equal(HttpStatusCode.Accepted, status);
            peak = await sampler.StopAsync();
        }
        Assert.True(peak <= limit, $"the WAL reached {peak} bytes under load, past its {limit}-byte bound");
        Assert.True(t.Listener.WalRestarts > 0, "the log was never reset under load");
        Assert.Equal(total, Count(t, "SELECT count(*) FROM webhook_deliveries WHERE accepted=1"));
        Assert.Equal(total, Count(t, "SELECT count(*) FROM deployments WHERE status='Skipped' AND trigger='Webhook'"));
        // One more delivery after the load lets the checkpoint thread see the size and truncate.
        Assert.Equal(HttpStatusCode.Accepted, (await t.PostAsync(body, Payloads.GitHubHeaders(body, TestListener.SecretBytes, delivery: "last"))).Status);
        var until = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < until && Length(wal) > limit) await Task.Delay(50);
        Assert.True(Length(wal) <= limit, $"WAL is {Length(wal)} bytes after the load, over its {limit}-byte limit");
        // (Whether the writer reset the log during this load depends on when the checkpoint passes caught up; that the
        // writer resets it between group commits is checked on its own by A_reader_holding_an_old_snapshot_….)

        // The service prunes by its retention settings (at start, then every minute).
        await t.Listener.StopAsync();
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var port = TestListener.FreePort();
        var options = new ListenerOptions { Port = port, BindAddress = "127.0.0.1", Secret = TestListener.SecretBytes, DeliveryRetentionRows = 100, MaxWalBytes = limit };
        using (var stop = new CancellationTokenSource())
        {
            var run = t.Engine.RunListenerAsync(options, new CicdOps.Server.KestrelHttpServer(options), log.Enqueue, stop.Token, TimeSpan.FromSeconds(5));
            var pruned = DateTime.UtcNow.AddSeconds(15);
            while (DateTime.UtcNow < pruned && !log.Any(l => l.StartsWith("retention: pruned", StringComparison.Ordinal))) await Task.Delay(50);
            stop.Cancel();
            await run;
        }
        Assert.Contains($"retention: pruned {total + 1 - 100} webhook deliveries", log);
        var kept = t.Store.List(1000);
        Assert.Equal(100, kept.Count);
        Assert.Equal("last", kept[0].DeliveryId);
        // The service's clean stop folded the WAL back completely.
        Assert.True(Length(wal) == 0, $"WAL is {Length(wal)} bytes after a clean shutdown");
    }

    [Fact]
    public async Task A_reader_holding_an_old_snapshot_does_not_stall_acknowledgements_and_the_WAL_is_reset_once_it_ends()
    {
        const long limit = 256 * 1024;
        await using var t = TestListener.Start(new SeededProjects().Add("app", "https://github.com/org/app", pinned: Payloads.Before),
            o => o with { MaxWalBytes = limit });
        var body = Payloads.GitHubPush();
        var wal = new FileInfo(Path.Combine(t.DataPath, "cicdops.db-wal"));
        var sent = 0;
        async Task PostChunk()
        {
            var chunk = Enumerable.Range(sent, 32).Select(i => t.PostAsync(body, Payloads.GitHubHeaders(body, TestListener.SecretBytes, delivery: "d-" + i)));
            sent += 32;
            // A hang detector, not a timing assertion: a checkpoint waiting for the reader below held writers for its
            // whole busy timeout (30 s) each time it was tried.
            foreach (var (status, _) in await Task.WhenAll(chunk).WaitAsync(TimeSpan.FromSeconds(20)))
                Assert.Equal(HttpStatusCode.Accepted, status);
        }

        await PostChunk();
        using (var reader = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(t.DataPath, Database.FileName)};Pooling=False"))
        {
            reader.Open();
            using var snapshot = reader.BeginTransaction(deferred: true);
            using (var read = reader.CreateCommand())
            {
                read.CommandText = "SELECT count(*) FROM webhook_deliveries";
                Assert.Equal(32L, (long)read.ExecuteScalar()!);
            }
            // While the reader keeps its snapshot nothing can reset the log: it grows past its bound, and every
            // delivery is still acknowledged.
            for (var i = 0; i < 100 && Length(wal) <= 2 * limit; i++) await PostChunk();
            Assert.True(Length(wal) > 2 * limit, $"the WAL did not grow past twice its bound ({Length(wal)} bytes) while a reader held it");
            snapshot.Rollback();
        }
        // The reader is gone: the writer resets the log between two group commits and the file is cut back.
        var restartsBefore = t.Listener.WalRestarts;
        for (var i = 0; i < 100 && (Length(wal) > limit || t.Listener.WalRestarts == restartsBefore); i++)
        {
            await PostChunk();
            await Task.Delay(100);
        }
        Assert.True(t.Listener.WalRestarts > restartsBefore, "the writer never reset the WAL after the reader ended");
        Assert.True(Length(wal) <= limit, $"WAL is {Length(wal)} bytes after the reader ended, over its {limit}-byte limit");
        Assert.Equal(sent, Count(t, "SELECT count(*) FROM webhook_deliveries WHERE accepted=1"));
    }

    [Fact]
    public async Task Once_deliveries_stop_the_running_listener_folds_the_WAL_back_to_0_bytes()
    {
        await using var t = TestListener.Start(new SeededProjects().Add("app", "https://github.com/org/app", pinned: Payloads.Before));
        var body = Payloads.GitHubPush();
        var wal = new FileInfo(Path.Combine(t.DataPath, "cicdops.db-wal"));
        long peak;
        // Sampled while they are sent: on a loaded machine the test may resume only after the idle truncation ran.
        using (var sampler = WalSampler.Start(wal))
        {
            foreach (var (status, _) in await Task.WhenAll(Enumerable.Range(0, 64).Select(i =>
                         t.PostAsync(body, Payloads.GitHubHeaders(body, TestListener.SecretBytes, delivery: "idle-" + i)))))
                Assert.Equal(HttpStatusCode.Accepted, status);
            peak = await sampler.StopAsync();
        }
        Assert.True(peak > 0, "the deliveries left nothing in the WAL");
        // Still running, just idle: the checkpointer truncates after a second without writes (bounded wait, not a timing assertion).
        var until = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < until && Length(wal) > 0) await Task.Delay(100);
        Assert.True(Length(wal) == 0, $"WAL is {Length(wal)} bytes while the listener has been idle");
        Assert.Equal(HttpStatusCode.Accepted, (await t.PostAsync(body, Payloads.GitHubHeaders(body, TestListener.SecretBytes, delivery: "after-idle"))).Status);
    }

    /// <summary>The largest size a file reaches while it is watched (a stat about every millisecond on its own thread).</summary>
    private sealed class WalSampler : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private Task<long> _task = null!;

        public static WalSampler Start(FileInfo file)
        {
            var s = new WalSampler();
            s._task = Task.Factory.StartNew(() =>
            {
                long peak = 0;
                while (!s._stop.IsCancellationRequested)
                {
                    peak = Math.Max(peak, Length(file));
                    Thread.Sleep(1);
                }
                return Math.Max(peak, Length(file));
            }, TaskCreationOptions.LongRunning);
            return s;
        }

        public Task<long> StopAsync()
        {
            _stop.Cancel();
            return _task;
        }

        public void Dispose()
        {
            _stop.Cancel();
            _stop.Dispose();
        }
    }

    private static long Count(TestListener t, string sql) => t.Engine.Context.Db.Read(c =>
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return (long)cmd.ExecuteScalar()!;
    });

    private static long Length(FileInfo f)
    {
        f.Refresh();
        return f.Exists ? f.Length : 0;
    }

    private static IReadOnlyList<UnverifiedCount> ReopenCounts(string dir) => new WebhookDeliveryStore(new Database(dir)).UnverifiedCounts();
    private static IReadOnlyList<CicdOps.WebhookDelivery> ReopenList(string dir) => new WebhookDeliveryStore(new Database(dir)).List(1000);
}
