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

    [Fact]
    public void ADeliveryIdIsClaimedOnce()
    {
        var store = new WebhookDeliveryStore(_db);
        var first = store.TryClaim(D("d1"));
        Assert.True(first.Claimed);
        store.Complete(first.RecordId, "queued", 202, "[]");
        Assert.False(store.TryClaim(D("d1")).Claimed);
        Assert.True(store.TryClaim(D("d1", "gitlab")).Claimed); // ids are per provider
        var rows = store.List();
        Assert.Equal(new[] { "received", "duplicate", "queued" }, rows.Select(r => r.Outcome));
        var done = store.Find("github", "d1")!;
        Assert.Equal((202, "queued", "refs/heads/main", Payloads.Sha), (done.StatusCode, done.Outcome, done.Ref, done.Commit));
        Assert.NotNull(done.CompletedAt);
    }

    [Fact]
    public void ConcurrentCopiesClaimExactlyOnce()
    {
        var store = new WebhookDeliveryStore(_db);
        var claims = new int[1];
        Parallel.For(0, 16, _ => { if (store.TryClaim(D("race")).Claimed) Interlocked.Increment(ref claims[0]); });
        Assert.Equal(1, claims[0]);
    }

    [Fact]
    public void RejectedRequestsDoNotBurnTheId()
    {
        var store = new WebhookDeliveryStore(_db);
        store.RecordRejected(D("forged") with { Signature = "invalid" }, "rejected", 401, "signature invalid");
        Assert.True(store.TryClaim(D("forged")).Claimed);
        Assert.Equal(2, store.List().Count);
    }

    [Fact]
    public void ReleasedDeliveriesCanBeRedelivered()
    {
        var store = new WebhookDeliveryStore(_db);
        var c = store.TryClaim(D("r"));
        store.Release(c.RecordId, "failed", 500, "SqliteException");
        Assert.True(store.TryClaim(D("r")).Claimed);
    }

    [Fact]
    public void AStaleClaimIsTakenOverButAFreshOneIsNot()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var store = new WebhookDeliveryStore(_db, clock) { StaleClaimAfter = TimeSpan.FromMinutes(2) };
        var c = store.TryClaim(D("s"));
        Assert.False(store.TryClaim(D("s")).Claimed);
        clock.Now += TimeSpan.FromMinutes(3);
        var again = store.TryClaim(D("s"));
        Assert.True(again.Claimed);
        Assert.Equal(c.RecordId, again.RecordId);
    }

    [Fact]
    public void ListIsNewestFirstAndFiltersByProvider()
    {
        var store = new WebhookDeliveryStore(_db);
        store.TryClaim(D("a"));
        store.TryClaim(D("b", "gitea"));
        store.TryClaim(D("c"));
        Assert.Equal(new[] { "c", "b", "a" }, store.List().Select(r => r.DeliveryId));
        Assert.Equal(new[] { "b" }, store.List(provider: "gitea").Select(r => r.DeliveryId));
        Assert.Single(store.List(limit: 1));
        Assert.Throws<CicdOps.Engine.CicdException>(() => store.List(limit: 0));
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;
        public override DateTimeOffset GetUtcNow() => Now;
    }
}
