using CicdOps.Engine.State;
using Microsoft.Data.Sqlite;

namespace CicdOps.Engine.Webhooks;

/// <summary>Whether a delivery id was claimed by this request, its record, and what the handler returned.</summary>
internal readonly record struct DeliveryClaim<T>(bool Claimed, long RecordId, T? Value);

/// <summary>How a claimed delivery ended (recorded with the claim), and a value for the caller.</summary>
internal readonly record struct DeliveryOutcome<T>(string Outcome, int StatusCode, string? Detail, T Value);

/// <summary>
/// The webhook_deliveries table. Claiming a delivery id is one INSERT under BEGIN IMMEDIATE, so two copies
/// of the same delivery racing (in one process or several) can never both deploy.
/// </summary>
public sealed class WebhookDeliveryStore : IDisposable
{
    private readonly Database _db;
    private readonly WriteBatcher _writes;
    private readonly TimeProvider _clock;

    /// <param name="maxWalBytes">The WAL size past which the writer's checkpoint truncates it (tests make it small).</param>
    internal WebhookDeliveryStore(Database db, TimeProvider? clock = null, long maxWalBytes = WalCheckpointer.DefaultMaxWalBytes)
    {
        _db = db;
        _writes = new WriteBatcher(db, maxWalBytes);
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>Times the writer reset the WAL between group commits (the bound under sustained load).</summary>
    internal long WalRestarts => _writes.WalRestarts;

    /// <summary>The writer's WAL checkpointer (its bound and counters, for tests and the benchmark).</summary>
    internal WalCheckpointer Checkpointer => _writes.Checkpointer;

    /// <summary>The writer's group commits so far (count, writes, time inside them).</summary>
    internal (long Batches, long Writes, TimeSpan Busy) WriterStats => _writes.Stats;

    /// <summary>Opens the store in <paramref name="dataPath"/>, creating or upgrading the database as needed.</summary>
    public static WebhookDeliveryStore Open(string dataPath)
    {
        var db = new Database(dataPath);
        db.Initialize();
        return new WebhookDeliveryStore(db);
    }

    /// <summary>
    /// A claim left "received" longer than this belongs to a listener that died mid-request; a redelivery
    /// may take it over instead of being answered "duplicate" and deploying nothing.
    /// </summary>
    public TimeSpan StaleClaimAfter { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Claims (provider, delivery id) for an accepted delivery and, in the same transaction, runs
    /// <paramref name="handle"/> (which queues the deployments) and records the outcome it returns: a delivery is
    /// recorded with its deployments or not at all. When the id is already claimed, records the request as a
    /// duplicate and returns Claimed = false without calling <paramref name="handle"/>. When
    /// <paramref name="handle"/> throws, nothing of it is kept (the id stays free for the host's redelivery) and
    /// the task fails with its exception.
    /// </summary>
    internal Task<DeliveryClaim<T>> ClaimAsync<T>(WebhookDeliveryStart d, Func<Statements, DeliveryOutcome<T>> handle)
    {
        var now = Now();
        return _writes.Enqueue(c =>
        {
            switch (Existing(c, d, now))
            {
                case ExistingClaim.None:
                {
                    // The usual case: the id is free, so the record is written once, with its outcome (a duplicate
                    // racing in the same or another process waits for this transaction and then finds it).
                    var o = handle(c);
                    var id = Insert(c, d, accepted: true, o.Outcome, o.StatusCode, o.Detail, now, completedAt: Now());
                    return new DeliveryClaim<T>(true, id, o.Value);
                }
                case ExistingClaim.Stale when TakeOver(c, d, now) is { } id:
                {
                    var o = handle(c);
                    c.Execute("UPDATE webhook_deliveries SET outcome = $o, status_code = $s, detail = $d, completed_at = $now WHERE id = $rid",
                        ("$o", o.Outcome), ("$s", o.StatusCode), ("$d", o.Detail), ("$now", Now()), ("$rid", id));
                    return new DeliveryClaim<T>(true, id, o.Value);
                }
                default:
                {
                    var dup = Insert(c, d, accepted: false, outcome: "duplicate", statusCode: 200, detail: null, now, completedAt: now);
                    return new DeliveryClaim<T>(false, dup, default);
                }
            }
        });
    }

    private enum ExistingClaim { None, Taken, Stale }

    /// <summary>Whether the delivery id is free, claimed, or claimed by a listener that died mid-request.</summary>
    private ExistingClaim Existing(Statements c, WebhookDeliveryStart d, long now)
    {
        var r = c.Raw("SELECT outcome, received_at FROM webhook_deliveries WHERE provider = ?1 AND delivery_id = ?2 AND accepted = 1")
            .Bind(1, d.Provider).Bind(2, d.DeliveryId);
        try
        {
            if (!r.Step()) return ExistingClaim.None;
            // A claim still "received" long after it was made was left by an older listener that died mid-request
            // (claims are now written with their outcome in one transaction): a redelivery takes it over.
            return r.Text(0) == "received" && r.Int64(1) < now - (long)StaleClaimAfter.TotalMilliseconds ? ExistingClaim.Stale : ExistingClaim.Taken;
        }
        finally { r.Finish(); }
    }

    /// <summary>Takes over a stale claim for this request; its id, or null when it is no longer stale.</summary>
    private long? TakeOver(Statements c, WebhookDeliveryStart d, long now)
    {
        var stale = c.Command("""
            UPDATE webhook_deliveries SET received_at = $now, event = $event, repository = $repo, ref = $ref,
                commit_sha = $commit, signature = $sig
            WHERE provider = $provider AND delivery_id = $id AND accepted = 1 AND outcome = 'received' AND received_at < $stale
            RETURNING id
            """, With(d, ("$now", now), ("$stale", now - (long)StaleClaimAfter.TotalMilliseconds)));
        return stale.ExecuteScalar() as long?;
    }

    /// <summary>Records a request that was not accepted (bad signature, bad payload, ...); it claims nothing.</summary>
    public long RecordRejected(WebhookDeliveryStart d, string outcome, int statusCode, string? detail) =>
        RecordRejectedAsync(d, outcome, statusCode, detail).GetAwaiter().GetResult();

    /// <inheritdoc cref="RecordRejected"/>
    public Task<long> RecordRejectedAsync(WebhookDeliveryStart d, string outcome, int statusCode, string? detail)
    {
        var now = Now();
        return _writes.Enqueue(c =>
        {
            return Insert(c, d, accepted: false, outcome, statusCode, detail, now, completedAt: now);
        });
    }

    /// <summary>Adds to the unverified-request counts (one row per provider and status).</summary>
    internal Task AddUnverifiedAsync(IReadOnlyDictionary<(string Provider, int Status), long> counts)
    {
        var now = Now();
        return _writes.Enqueue(c =>
        {
            foreach (var ((provider, status), n) in counts)
                c.Execute("""
                    INSERT INTO webhook_unverified (provider, status_code, count, first_at, last_at) VALUES ($p, $s, $n, $now, $now)
                    ON CONFLICT (provider, status_code) DO UPDATE SET count = count + $n, last_at = $now
                    """, ("$p", provider), ("$s", status), ("$n", n), ("$now", now));
            // Bad signatures (401) are worth telling someone about; one event per flush however many, so a flood is one row.
            var rejected = counts.Where(kv => kv.Key.Status == 401).ToList();
            if (rejected.Count > 0)
                Notifications.NotificationOutbox.Enqueue(c, new Notifications.NotificationEvent(NotificationEventKind.WebhookSignatureRejected)
                {
                    Count = (int)Math.Min(int.MaxValue, rejected.Sum(kv => kv.Value)),
                    Reason = "requests whose signature did not verify (provider " + string.Join(", ", rejected.Select(kv => kv.Key.Provider).Distinct()) + ")",
                });
            return 0;
        });
    }

    /// <summary>Requests answered before their signature held, counted per provider and status code.</summary>
    public IReadOnlyList<UnverifiedCount> UnverifiedCounts() => _db.Read(c =>
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT provider, status_code, count, first_at, last_at FROM webhook_unverified ORDER BY provider, status_code";
        using var r = cmd.ExecuteReader();
        var list = new List<UnverifiedCount>();
        while (r.Read())
            list.Add(new UnverifiedCount(r.GetString(0), r.GetInt32(1), r.GetInt64(2),
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(3)), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(4))));
        return list;
    });

    /// <summary>
    /// Deletes deliveries received before <paramref name="olderThan"/> and all but the newest <paramref name="keep"/>
    /// (either may be null); returns how many went. A delivery id freed this way could be deployed again by a
    /// redelivery, which hosts only offer for days, not for the default 30-day retention.
    /// </summary>
    public int Prune(TimeSpan? olderThan, int? keep)
    {
        if (olderThan is { } age && age < TimeSpan.Zero) throw new CicdException(CicdError.InvalidArgument, "The age must not be negative.", age);
        if (keep is < 0) throw new CicdException(CicdError.InvalidArgument, "The number of deliveries to keep must not be negative.", keep);
        var cutoff = olderThan is { } a ? Now() - (long)a.TotalMilliseconds : (long?)null;
        var removed = 0;
        // In slices, so a first prune of millions of rows never holds the write lock for long.
        while (true)
        {
            var n = _db.Write(c =>
            {
                using var cmd = c.CreateCommand();
                cmd.CommandText = """
                    DELETE FROM webhook_deliveries WHERE id IN (
                        SELECT id FROM webhook_deliveries
                        WHERE ($cutoff IS NOT NULL AND received_at < $cutoff)
                           OR ($keep IS NOT NULL AND id <= (SELECT id FROM webhook_deliveries ORDER BY id DESC LIMIT 1 OFFSET $keep))
                        ORDER BY id LIMIT 5000)
                    """;
                cmd.Parameters.AddWithValue("$cutoff", (object?)cutoff ?? DBNull.Value);
                cmd.Parameters.AddWithValue("$keep", (object?)keep ?? DBNull.Value);
                return cmd.ExecuteNonQuery();
            });
            removed += n;
            if (n < 5000) return removed;
        }
    }

    /// <summary>Deliveries newest first, optionally of one provider.</summary>
    public IReadOnlyList<WebhookDelivery> List(int limit = 50, string? provider = null)
    {
        if (limit <= 0) throw new CicdException(CicdError.InvalidArgument, "The limit must be a positive number.", limit);
        return _db.Read(c =>
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT * FROM webhook_deliveries WHERE ($p IS NULL OR provider = $p) ORDER BY id DESC LIMIT $limit";
            cmd.Parameters.AddWithValue("$p", (object?)provider ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$limit", limit);
            return ReadAll(cmd);
        });
    }

    /// <summary>The accepted record of a delivery id, or null when none was accepted.</summary>
    public WebhookDelivery? Find(string provider, string deliveryId) => _db.Read(c =>
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT * FROM webhook_deliveries WHERE provider = $p AND delivery_id = $id AND accepted = 1";
        cmd.Parameters.AddWithValue("$p", provider);
        cmd.Parameters.AddWithValue("$id", deliveryId);
        return ReadAll(cmd).FirstOrDefault();
    });

    /// <summary>Closes the writer's connection (kept open between writes because opening costs as much as a batch).</summary>
    public void Dispose() => _writes.Dispose();

    private long Now() => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Inserts one record and returns its id (positional parameters: the hot statement of every delivery).</summary>
    private static long Insert(Statements c, WebhookDeliveryStart d, bool accepted, string outcome, int statusCode, string? detail, long now, long? completedAt)
    {
        // OR IGNORE only ever triggers on the partial unique index (accepted rows).
        var s = c.Raw("""
            INSERT OR IGNORE INTO webhook_deliveries
                (provider, delivery_id, event, accepted, repository, ref, commit_sha, signature, outcome, status_code, detail, received_at, completed_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
            RETURNING id
            """)
            .Bind(1, d.Provider).Bind(2, d.DeliveryId).Bind(3, d.Event).Bind(4, accepted ? 1 : 0).Bind(5, d.Repository).Bind(6, d.Ref)
            .Bind(7, d.Commit).Bind(8, d.Signature).Bind(9, outcome).Bind(10, statusCode).Bind(11, detail).Bind(12, now).Bind(13, completedAt);
        try
        {
            // Callers only insert what they have just checked is free, in the same transaction: a row always comes back.
            if (!s.Step()) throw new InvalidOperationException("webhook_deliveries: the INSERT returned no id");
            return s.Int64(0);
        }
        finally { s.Finish(); }
    }

    /// <summary>The delivery's own columns as parameters, then <paramref name="more"/>.</summary>
    private static (string, object?)[] With(WebhookDeliveryStart d, params (string, object?)[] more) =>
    [
        ("$provider", d.Provider), ("$id", d.DeliveryId), ("$event", d.Event), ("$repo", d.Repository), ("$ref", d.Ref),
        ("$commit", d.Commit), ("$sig", d.Signature), .. more,
    ];

    private static List<WebhookDelivery> ReadAll(SqliteCommand cmd)
    {
        var list = new List<WebhookDelivery>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            list.Add(new WebhookDelivery
            {
                Id = r.GetInt64(r.GetOrdinal("id")),
                Provider = r.GetString(r.GetOrdinal("provider")),
                DeliveryId = r.GetString(r.GetOrdinal("delivery_id")),
                Event = r.GetString(r.GetOrdinal("event")),
                Accepted = r.GetInt64(r.GetOrdinal("accepted")) == 1,
                Repository = NullableString(r, "repository"),
                Ref = NullableString(r, "ref"),
                Commit = NullableString(r, "commit_sha"),
                Signature = r.GetString(r.GetOrdinal("signature")),
                Outcome = r.GetString(r.GetOrdinal("outcome")),
                StatusCode = r.GetInt32(r.GetOrdinal("status_code")),
                Detail = NullableString(r, "detail"),
                ReceivedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(r.GetOrdinal("received_at"))),
                CompletedAt = r.IsDBNull(r.GetOrdinal("completed_at")) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(r.GetOrdinal("completed_at"))),
            });
        }
        return list;
    }

    private static string? NullableString(SqliteDataReader r, string column)
    {
        var i = r.GetOrdinal(column);
        return r.IsDBNull(i) ? null : r.GetString(i);
    }
}
