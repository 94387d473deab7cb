using CicdOps.Engine.Deploy;
using CicdOps.Engine.State;
using Xunit;

namespace CicdOps.Tests.Listener;

/// <summary>
/// The lookup that finds the delivery of a stale deployment reads only an id window around the deployment's queue
/// time (found by binary search over ids), so it stays cheap with millions of rows and runs outside the write lock.
/// </summary>
public class StaleDeliveryLookupTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cicdops-stale-lookup-").FullName;

    private Database? _db;

    [Fact]
    public void Finds_the_delivery_naming_the_deployment_among_many_with_gaps_and_look_alike_ids()
    {
        var db = _db = new Database(_dir);
        db.Initialize();
        const long t0 = 1_700_000_000_000;
        const long queuedAt = t0 + 30_000 * 10 + 5;
        long target = 0;
        db.Write(c =>
        {
            using var insert = c.CreateCommand();
            insert.CommandText = """
                INSERT INTO webhook_deliveries (provider, delivery_id, event, accepted, signature, outcome, status_code, detail, received_at)
                VALUES ('github', $id, 'push', 1, 'valid', 'queued', 202, $detail, $at) RETURNING id
                """;
            var id = insert.Parameters.Add("$id", Microsoft.Data.Sqlite.SqliteType.Text);
            var detail = insert.Parameters.Add("$detail", Microsoft.Data.Sqlite.SqliteType.Text);
            var at = insert.Parameters.Add("$at", Microsoft.Data.Sqlite.SqliteType.Integer);
            for (var i = 0; i < 60_000; i++)
            {
                id.Value = "d-" + i;
                at.Value = t0 + i * 10L; // 100 deliveries a second, ids in received order
                // Deployment 4242 is named by exactly one delivery, received just before the deployment was queued;
                // its neighbours name 42420 and 424 (a substring search alone would be fooled).
                detail.Value = i switch
                {
                    30_000 => """[{"project":"app","result":"queued","deployment":4242}]""",
                    29_999 => """[{"project":"app","result":"queued","deployment":42420}]""",
                    29_998 => """[{"project":"app","result":"queued","deployment":424}]""",
                    _ => $$"""[{"project":"app","result":"queued","deployment":{{100_000 + i}}}]""",
                };
                var row = (long)insert.ExecuteScalar()!;
                if (i == 30_000) target = row;
            }
            // Pruned rows leave gaps in the ids the binary search walks over.
            using var prune = c.CreateCommand();
            prune.CommandText = "DELETE FROM webhook_deliveries WHERE id % 7 = 0 AND id <> $t";
            prune.Parameters.AddWithValue("$t", target);
            prune.ExecuteNonQuery();
        });

        var found = db.Read(c => StaleDeliveryLookup.Find(c, 4242, queuedAt));
        Assert.Equal(new[] { target }, found);
        Assert.Empty(db.Read(c => StaleDeliveryLookup.Find(c, 4243, queuedAt)));
    }

    public void Dispose()
    {
        _db?.ReleasePooledConnections();
        Directory.Delete(_dir, true);
    }
}
