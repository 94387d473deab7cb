using Microsoft.Data.Sqlite;

namespace CicdOps.Engine.Deploy;

/// <summary>
/// Finds the accepted, still "queued" deliveries whose detail lists a deployment, without scanning the whole
/// webhook_deliveries table (millions of rows under sustained load; it has no index on received_at and the schema
/// stays as it is). The delivery that queued a deployment was recorded in the same transaction, so its received_at is
/// at most the deployment's queued_at and, but for the time it waited for that group commit, not much earlier; ids
/// grow with received_at (give or take that same wait), so a binary search over ids finds the window.
/// </summary>
internal static class StaleDeliveryLookup
{
    /// <summary>How long before its deployment's queue time a delivery may have been received (waiting for the write lock).</summary>
    public static readonly TimeSpan Before = TimeSpan.FromSeconds(90);
    /// <summary>Slack after the queue time: received_at and queued_at come from two reads of the clock.</summary>
    public static readonly TimeSpan After = TimeSpan.FromSeconds(5);

    public static List<long> Find(SqliteConnection c, long deployment, long queuedAtMs)
    {
        var found = new List<long>();
        if (Bounds(c) is not var (min, max)) return found;
        var from = FirstIdReceivedFrom(c, min, max, queuedAtMs - (long)Before.TotalMilliseconds);
        var to = FirstIdReceivedFrom(c, min, max, queuedAtMs + (long)After.TotalMilliseconds + 1) - 1;
        using var cmd = c.CreateCommand();
        // instr() first: a plain substring test, so json_each only parses the rows that name the deployment at all.
        cmd.CommandText = """
            SELECT id FROM webhook_deliveries
            WHERE id BETWEEN $from AND $to AND accepted = 1 AND outcome = 'queued' AND detail IS NOT NULL
              AND (instr(detail, $n1) > 0 OR instr(detail, $n2) > 0) AND json_valid(detail)
              AND EXISTS (SELECT 1 FROM json_each(detail) WHERE json_extract(value, '$.deployment') = $d)
            """;
        cmd.Parameters.AddWithValue("$from", from);
        cmd.Parameters.AddWithValue("$to", to);
        cmd.Parameters.AddWithValue("$n1", $"\"deployment\":{deployment},");
        cmd.Parameters.AddWithValue("$n2", $"\"deployment\":{deployment}}}");
        cmd.Parameters.AddWithValue("$d", deployment);
        using var r = cmd.ExecuteReader();
        while (r.Read()) found.Add(r.GetInt64(0));
        return found;
    }

    private static (long Min, long Max)? Bounds(SqliteConnection c)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT min(id), max(id) FROM webhook_deliveries";
        using var r = cmd.ExecuteReader();
        return r.Read() && !r.IsDBNull(0) ? (r.GetInt64(0), r.GetInt64(1)) : null;
    }

    /// <summary>The smallest id whose row (or the next existing one) was received at or after <paramref name="ms"/>; max + 1 when none.</summary>
    private static long FirstIdReceivedFrom(SqliteConnection c, long min, long max, long ms)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id, received_at FROM webhook_deliveries WHERE id >= $id ORDER BY id LIMIT 1";
        var p = cmd.Parameters.Add("$id", SqliteType.Integer);
        long lo = min, hi = max + 1;
        while (lo < hi)
        {
            var mid = lo + (hi - lo) / 2;
            p.Value = mid;
            using var r = cmd.ExecuteReader();
            // Ids may have gaps (pruned rows): the probe is the next existing row.
            if (!r.Read()) { hi = mid; continue; }
            var (id, at) = (r.GetInt64(0), r.GetInt64(1));
            if (at >= ms) hi = mid;
            else lo = id + 1;
        }
        return lo;
    }
}
