using CicdOps.Engine.State;
using CicdOps.Engine.Webhooks;
using Xunit;

namespace CicdOps.Tests.Webhooks;

public sealed class WebhookDeliveryStoreTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cicdops-store-" + Guid.NewGuid().ToString("N"));
    private readonly Database _db;

    public WebhookDeliveryStoreTests()
    {
        Directory.CreateDirectory(_dir);
        _db = new Database(_dir);
        _db.Initialize();
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, true);
    }

    private static WebhookDeliveryStart D(string id, string provider = "github") =>
        new() { Provider = provider, DeliveryId = id, Event = "push", Repository = "github.com/org/app", Ref = "refs/heads/main", Commit = Payloads.Sha, Signature = "valid" };

    private static DeliveryClaim<int> Claim(WebhookDeliveryStore store, WebhookDeliveryStart d, string outcome = "queued") =>
        store.ClaimAsync(d, _ => new DeliveryOutcome<int>(outcome, 202, "[]", 7)).GetAwaiter().GetResult();

    [Fact]
    public void ADeliveryIdIsClaimedOnceAndRecordedWithItsOutcomeInOneWrite()
    {
        var store = new WebhookDeliveryStore(_db);
        var first = Claim(store, D("d1"));
        Assert.True(first.Claimed);
        Assert.Equal(7, first.Value);
        Assert.False(Claim(store, D("d1")).Claimed);
        Assert.True(Claim(store, D("d1", "gitlab")).Claimed); // ids are per provider
        var rows = store.List();
        Assert.Equal(new[] { "queued", "duplicate", "queued" }, rows.Select(r => r.Outcome));
        var done = store.Find("github", "d1")!;
        Assert.Equal((202, "queued", "refs/heads/main", Payloads.Sha, "[]"), (done.StatusCode, done.Outcome, done.Ref, done.Commit, done.Detail));
        Assert.NotNull(done.CompletedAt);
    }

    [Fact]
    public async Task ADuplicateDoesNotRunTheHandler()
    {
        var store = new WebhookDeliveryStore(_db);
        Claim(store, D("once"));
        var ran = false;
        var dup = await store.ClaimAsync(D("once"), _ => { ran = true; return new DeliveryOutcome<int>("queued", 202, null, 1); });
        Assert.False(dup.Claimed);
        Assert.False(ran);
    }

    [Fact]
    public void ConcurrentCopiesClaimExactlyOnce()
    {
        var store = new WebhookDeliveryStore(_db);
        var claims = new int[1];
        Parallel.For(0, 16, _ => { if (Claim(store, D("race")).Claimed) Interlocked.Increment(ref claims[0]); });
        Assert.Equal(1, claims[0]);
    }

    [Fact]
    public void RejectedRequestsDoNotBurnTheId()
    {
        var store = new WebhookDeliveryStore(_db);
        store.RecordRejected(D("forged") with { Signature = "invalid" }, "rejected", 401, "signature invalid");
        Assert.True(Claim(store, D("forged")).Claimed);
        Assert.Equal(2, store.List().Count);
    }

    [Fact]
    public async Task AHandlerThatThrowsKeepsNothingAndLeavesTheIdFreeForARedelivery()
    {
        var store = new WebhookDeliveryStore(_db);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            store.ClaimAsync<int>(D("r"), _ => throw new InvalidOperationException("queue failed")));
        Assert.Equal("queue failed", e.Message);
        Assert.Empty(store.List());
        Assert.True(Claim(store, D("r")).Claimed);
    }

    /// <summary>Claims "lead" with a handler that holds its batch open for 300 ms; returns once the handler runs.</summary>
    private Task<DeliveryClaim<int>> LeaderHoldingItsCommit(WebhookDeliveryStore store)
    {
        using var leaderRunning = new ManualResetEventSlim();
        var leader = Task.Run(() => store.ClaimAsync(D("lead"), _ =>
        {
            leaderRunning.Set();
            Thread.Sleep(300);
            return new DeliveryOutcome<int>("queued", 202, null, 0);
        }));
        leaderRunning.Wait(TimeSpan.FromSeconds(10));
        return leader;
    }

    [Fact]
    public async Task OneFailingDeliveryInAGroupCommitDoesNotFailTheOthers()
    {
        var store = new WebhookDeliveryStore(_db);
        // The leader's handler holds its commit open, so the next two queue up and share the following batch.
        var leader = LeaderHoldingItsCommit(store);
        var failing = store.ClaimAsync<int>(D("bad"), tx =>
        {
            tx.Execute("UPDATE webhook_deliveries SET detail = 'touched by the failing write'");
            throw new InvalidOperationException("boom");
        });
        var good = store.ClaimAsync(D("good"), _ => new DeliveryOutcome<int>("queued", 202, null, 0));
        await leader;
        await Assert.ThrowsAsync<InvalidOperationException>(() => failing);
        Assert.True((await good).Claimed);
        Assert.Equal(new[] { "good", "lead" }, store.List().Select(r => r.DeliveryId));
        Assert.DoesNotContain(store.List(), r => r.Detail == "touched by the failing write");
        Assert.True(Claim(store, D("bad")).Claimed);
    }

    [Fact]
    public async Task AWriteThatFailsAfterOthersRanInItsBatchLeavesThoseOthersRecordedWithTheirResults()
    {
        // The writer runs a batch without savepoints first; a failure rolls back the writes that already ran in it,
        // which are then run again (each in its own savepoint) and must still be recorded and answered.
        var store = new WebhookDeliveryStore(_db);
        var leader = LeaderHoldingItsCommit(store);
        var runs = 0;
        var before = store.ClaimAsync(D("before"), tx =>
        {
            Interlocked.Increment(ref runs);
            tx.Execute("UPDATE webhook_deliveries SET detail = 'seen by before'");
            return new DeliveryOutcome<int>("queued", 202, null, 41);
        });
        var failing = store.ClaimAsync<int>(D("bad"), _ => throw new InvalidOperationException("boom"));
        var after = store.ClaimAsync(D("after"), _ => new DeliveryOutcome<int>("queued", 202, null, 43));
        await leader;
        await Assert.ThrowsAsync<InvalidOperationException>(() => failing);
        Assert.Equal(41, (await before).Value);
        Assert.Equal(43, (await after).Value);
        Assert.Equal(2, runs); // rolled back once with its batch, then run again alone
        Assert.Equal(new[] { "after", "before", "lead" }, store.List().Select(r => r.DeliveryId));
        Assert.Equal("seen by before", store.List().Single(r => r.DeliveryId == "lead").Detail);
    }

    [Fact]
    public void AStaleClaimLeftByAnOlderListenerIsTakenOverButAFreshOneIsNot()
    {
        // Claims are now written with their outcome in one transaction; a bare "received" row is what a listener of
        // an earlier version left when it died mid-request, so the test writes one directly.
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var store = new WebhookDeliveryStore(_db, clock) { StaleClaimAfter = TimeSpan.FromMinutes(2) };
        long id;
        using (var c = _db.Open())
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = """
                INSERT INTO webhook_deliveries (provider, delivery_id, event, accepted, signature, outcome, status_code, received_at)
                VALUES ('github', 's', 'push', 1, 'valid', 'received', 0, $now) RETURNING id
                """;
            cmd.Parameters.AddWithValue("$now", clock.Now.ToUnixTimeMilliseconds());
            id = (long)cmd.ExecuteScalar()!;
        }
        Assert.False(Claim(store, D("s")).Claimed);
        clock.Now += TimeSpan.FromMinutes(3);
        var again = Claim(store, D("s"));
        Assert.True(again.Claimed);
        Assert.Equal(id, again.RecordId);
        Assert.Equal("queued", store.Find("github", "s")!.Outcome);
    }

    [Fact]
    public async Task TheWriterCheckpointsInTheBackgroundSoTheWalStaysBounded()
    {
        using var store = new WebhookDeliveryStore(_db);
        var detail = new string('x', 4000);
        // ~12 MB in rounds with pauses: without a checkpoint (the writer turns SQLite's automatic one off) the WAL
        // would hold all of it; the background checkpoint lets SQLite reuse the WAL from the start.
        for (var round = 0; round < 10; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, 300).Select(i =>
                store.ClaimAsync(D($"{round}-{i}"), _ => new DeliveryOutcome<int>("queued", 202, detail, 0))));
            await Task.Delay(WalCheckpointer.Interval * 2);
        }
        var wal = new FileInfo(_db.FilePath + "-wal").Length;
        Assert.True(wal < 6_000_000, $"WAL is {wal} bytes after ~12 MB of deliveries");
        Assert.Equal(3000, store.List(limit: 5000).Count);
    }

    [Fact]
    public void The_writer_resets_the_WAL_from_half_the_default_bound_and_waits_for_a_reset_only_in_its_last_16_MB()
    {
        // Each reset stalls every queued delivery for its fsyncs: from 32 MB on (not 16) there are half as many under
        // sustained load, and the commit that crosses 48 MB still has 16 MB of headroom below the 64 MB bound.
        using var defaults = new WalCheckpointer(_db);
        Assert.Equal(64L << 20, defaults.MaxWalBytes);
        Assert.Equal(32L << 20, defaults.RestartBytes);
        Assert.Equal(48L << 20, defaults.HardResetBytes);
        // A small bound (tests use them) keeps a quarter and a half: 16 MB of headroom would be all of it.
        using var small = new WalCheckpointer(_db, 512 * 1024);
        Assert.Equal(128 * 1024, small.RestartBytes);
        Assert.Equal(256 * 1024, small.HardResetBytes);
    }

    [Fact]
    public async Task Past_its_size_limit_the_WAL_is_truncated_and_a_clean_shutdown_folds_it_back_completely()
    {
        const long limit = 1024 * 1024;
        var store = new WebhookDeliveryStore(_db, maxWalBytes: limit);
        var detail = new string('x', 4000);
        // ~12 MB without pauses: PASSIVE checkpoints alone leave the file at its peak size.
        for (var round = 0; round < 10; round++)
            await Task.WhenAll(Enumerable.Range(0, 300).Select(i =>
                store.ClaimAsync(D($"{round}-{i}"), _ => new DeliveryOutcome<int>("queued", 202, detail, 0))));
        var wal = new FileInfo(_db.FilePath + "-wal");
        // One more write after the load lets the checkpoint thread see the size and truncate.
        await store.ClaimAsync(D("last"), _ => new DeliveryOutcome<int>("queued", 202, null, 0));
        var until = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < until && WalLength(wal) > limit) await Task.Delay(50);
        Assert.True(wal.Length <= limit, $"WAL is {wal.Length} bytes, over its {limit}-byte limit");

        store.Dispose();
        wal.Refresh();
        Assert.True(!wal.Exists || wal.Length == 0, $"WAL is {wal.Length} bytes after a clean shutdown");
        Assert.Equal(3001, new WebhookDeliveryStore(_db).List(limit: 5000).Count);
    }

    [Fact]
    public void Prune_removes_deliveries_past_the_retention_age_and_beyond_the_row_limit()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow.AddDays(-40));
        using var store = new WebhookDeliveryStore(_db, clock);
        for (var i = 0; i < 5; i++) Claim(store, D("old-" + i));
        clock.Now = DateTimeOffset.UtcNow;
        for (var i = 0; i < 5; i++) Claim(store, D("new-" + i));
        Assert.Equal(5, store.Prune(TimeSpan.FromDays(30), null));
        Assert.All(store.List(), d => Assert.StartsWith("new-", d.DeliveryId));
        Assert.Equal(2, store.Prune(null, 3));
        Assert.Equal(new[] { "new-4", "new-3", "new-2" }, store.List().Select(d => d.DeliveryId));
        Assert.Equal(0, store.Prune(TimeSpan.FromDays(30), 3));
        Assert.Throws<CicdOps.Engine.CicdException>(() => store.Prune(null, -1));
        // A pruned id is free again (hosts redeliver within days; retention is weeks).
        Assert.True(Claim(store, D("old-0")).Claimed);
    }

    [Fact]
    public void ListIsNewestFirstAndFiltersByProvider()
    {
        var store = new WebhookDeliveryStore(_db);
        Claim(store, D("a"));
        Claim(store, D("b", "gitea"));
        Claim(store, D("c"));
        Assert.Equal(new[] { "c", "b", "a" }, store.List().Select(r => r.DeliveryId));
        Assert.Equal(new[] { "b" }, store.List(provider: "gitea").Select(r => r.DeliveryId));
        Assert.Single(store.List(limit: 1));
        Assert.Throws<CicdOps.Engine.CicdException>(() => store.List(limit: 0));
    }

    private static long WalLength(FileInfo wal)
    {
        wal.Refresh();
        return wal.Exists ? wal.Length : 0;
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;
        public override DateTimeOffset GetUtcNow() => Now;
    }
}
