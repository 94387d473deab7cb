using Microsoft.Data.Sqlite;

namespace CicdOps.Engine.State;

/// <summary>The watchdog's event log (schema 8): appended, read forward from an id. Callers own the connection.</summary>
internal static class EventStore
{
    /// <summary>Rows kept; older ones are pruned by the listener's periodic tasks.</summary>
    public const int KeepRows = 10_000;

    public static long Add(SqliteConnection c, string project, CicdEventKind kind, string message, long? deploymentId = null) =>
        (long)c.Scalar("INSERT INTO events (project, at, kind, message, deployment_id) VALUES ($p, $at, $k, $m, $d) RETURNING id",
            ("$p", project), ("$at", DateTimeOffset.UtcNow.ToMs()), ("$k", kind.ToString()), ("$m", message), ("$d", deploymentId))!;

    /// <summary>Events after <paramref name="afterId"/>, oldest first; or with <paramref name="newest"/>, the last ones, oldest first.</summary>
    public static List<CicdEvent> List(SqliteConnection c, string? project, long afterId, int limit, bool newest)
    {
        var where = "id > $after" + (project is null ? "" : " AND project = $p");
        var sql = newest
            ? $"SELECT * FROM (SELECT * FROM events WHERE {where} ORDER BY id DESC LIMIT $limit) ORDER BY id"
            : $"SELECT * FROM events WHERE {where} ORDER BY id LIMIT $limit";
        return c.Query(sql, Map, ("$after", afterId), ("$p", project), ("$limit", limit));
    }

    public static int Prune(SqliteConnection c, int keep) =>
        c.Execute("DELETE FROM events WHERE id <= (SELECT MAX(id) FROM events) - $keep", ("$keep", keep));

    private static CicdEvent Map(SqliteDataReader r) => new()
    {
        Id = r.Long("id")!.Value,
        Project = r.Str("project")!,
        At = r.Time("at")!.Value,
        Kind = Enum.TryParse<CicdEventKind>(r.Str("kind"), out var k) ? k : CicdEventKind.Unhealthy,
        Message = r.Str("message")!,
        DeploymentId = r.Long("deployment_id"),
    };
}
