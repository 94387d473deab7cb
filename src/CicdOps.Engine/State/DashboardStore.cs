using Microsoft.Data.Sqlite;

namespace CicdOps.Engine.State;

/// <summary>dashboard_logins and dashboard_sessions (schema v13). Static functions over a connection: callers own the transaction.</summary>
internal static class DashboardStore
{
    private const string SessionColumns = "id, role, login_id, client, created_at, expires_at, last_seen_at, revoked_at";

    public static long InsertLogin(SqliteConnection c, DashboardRole role, byte[] hash, DateTimeOffset now, DateTimeOffset expires)
    {
        c.Execute("INSERT INTO dashboard_logins (role, secret_sha256, created_at, expires_at) VALUES ($r, $h, $c, $e)",
            ("$r", role.ToString()), ("$h", hash), ("$c", now.ToMs()), ("$e", expires.ToMs()));
        return (long)c.Scalar("SELECT last_insert_rowid()")!;
    }

    /// <summary>The login's role, hash, expiry and whether it was used (null when no such id).</summary>
    public static (DashboardRole Role, byte[] Hash, DateTimeOffset ExpiresAt, bool Used)? GetLogin(SqliteConnection c, long id) =>
        c.Query("SELECT role, secret_sha256, expires_at, used_at FROM dashboard_logins WHERE id = $i",
                r => (r.Enum<DashboardRole>("role"), (byte[])r["secret_sha256"], r.Time("expires_at")!.Value, r.Time("used_at") is not null), ("$i", id))
            .Select(t => ((DashboardRole, byte[], DateTimeOffset, bool)?)t).SingleOrDefault();

    /// <summary>Marks the login used; false when it already was (a race between two openings: only one wins).</summary>
    public static bool UseLogin(SqliteConnection c, long id, DateTimeOffset now) =>
        c.Execute("UPDATE dashboard_logins SET used_at = $t WHERE id = $i AND used_at IS NULL", ("$t", now.ToMs()), ("$i", id)) == 1;

    public static DashboardSession InsertSession(SqliteConnection c, DashboardRole role, byte[] hash, long loginId, string? client, DateTimeOffset now, DateTimeOffset expires)
    {
        c.Execute("INSERT INTO dashboard_sessions (role, secret_sha256, login_id, client, created_at, expires_at) VALUES ($r, $h, $l, $cl, $c, $e)",
            ("$r", role.ToString()), ("$h", hash), ("$l", loginId), ("$cl", client), ("$c", now.ToMs()), ("$e", expires.ToMs()));
        return GetSession(c, (long)c.Scalar("SELECT last_insert_rowid()")!)!;
    }

    public static DashboardSession? GetSession(SqliteConnection c, long id) =>
        c.Query($"SELECT {SessionColumns} FROM dashboard_sessions WHERE id = $i", Map, ("$i", id)).SingleOrDefault();

    public static (DashboardSession Session, byte[] Hash)? GetSessionForCheck(SqliteConnection c, long id) =>
        c.Query($"SELECT {SessionColumns}, secret_sha256 FROM dashboard_sessions WHERE id = $i", r => (Map(r), (byte[])r["secret_sha256"]), ("$i", id))
            .Select(t => ((DashboardSession, byte[])?)t).SingleOrDefault();

    public static List<DashboardSession> ListSessions(SqliteConnection c) =>
        c.Query($"SELECT {SessionColumns} FROM dashboard_sessions ORDER BY id", Map);

    public static void Revoke(SqliteConnection c, long id, DateTimeOffset now) =>
        c.Execute("UPDATE dashboard_sessions SET revoked_at = $t WHERE id = $i AND revoked_at IS NULL", ("$t", now.ToMs()), ("$i", id));

    public static void Touch(SqliteConnection c, long id, DateTimeOffset now) =>
        c.Execute("UPDATE dashboard_sessions SET last_seen_at = $t WHERE id = $i", ("$t", now.ToMs()), ("$i", id));

    /// <summary>Forgets logins and sessions that ended more than a day ago (the listener's periodic tasks).</summary>
    public static int Prune(SqliteConnection c, DateTimeOffset before) =>
        c.Execute("DELETE FROM dashboard_logins WHERE expires_at < $b", ("$b", before.ToMs()))
        + c.Execute("DELETE FROM dashboard_sessions WHERE expires_at < $b OR revoked_at < $b", ("$b", before.ToMs()));

    private static DashboardSession Map(SqliteDataReader r) => new()
    {
        Id = r.Long("id")!.Value,
        Role = r.Enum<DashboardRole>("role"),
        LoginId = r.Long("login_id"),
        Client = r.Str("client"),
        CreatedAt = r.Time("created_at")!.Value,
        ExpiresAt = r.Time("expires_at")!.Value,
        LastSeenAt = r.Time("last_seen_at"),
        RevokedAt = r.Time("revoked_at"),
    };
}
