using Microsoft.Data.Sqlite;

namespace CicdOps.Engine.State;

/// <summary>The api_tokens table (schema v9). Static functions over a connection: callers own the transaction.</summary>
internal static class ApiTokenStore
{
    private const string Columns = "id, name, scope, created_at, expires_at, revoked_at, last_used_at";

    public static ApiToken Insert(SqliteConnection c, string name, ApiTokenScope scope, byte[] secretHash, DateTimeOffset now, DateTimeOffset? expiresAt)
    {
        c.Execute("INSERT INTO api_tokens (name, scope, secret_sha256, created_at, expires_at) VALUES ($n, $s, $h, $c, $e)",
            ("$n", name), ("$s", scope.ToString()), ("$h", secretHash), ("$c", now.ToMs()), ("$e", expiresAt?.ToMs()));
        return Get(c, (long)c.Scalar("SELECT last_insert_rowid()")!)!;
    }

    public static bool NameExists(SqliteConnection c, string name) => c.Scalar("SELECT 1 FROM api_tokens WHERE name = $n", ("$n", name)) is not null;

    public static ApiToken? Get(SqliteConnection c, long id) =>
        c.Query($"SELECT {Columns} FROM api_tokens WHERE id = $i", Map, ("$i", id)).SingleOrDefault();

    public static ApiToken? GetByName(SqliteConnection c, string name) =>
        c.Query($"SELECT {Columns} FROM api_tokens WHERE name = $n", Map, ("$n", name)).SingleOrDefault();

    /// <summary>The stored hash of the token's secret part, with the token (null when no such id).</summary>
    public static (ApiToken Token, byte[] Hash)? GetForCheck(SqliteConnection c, long id) =>
        c.Query($"SELECT {Columns}, secret_sha256 FROM api_tokens WHERE id = $i", r => (Map(r), (byte[])r["secret_sha256"]), ("$i", id))
            .Select(t => ((ApiToken, byte[])?)t).SingleOrDefault();

    public static List<ApiToken> List(SqliteConnection c) => c.Query($"SELECT {Columns} FROM api_tokens ORDER BY id", Map);

    public static void Revoke(SqliteConnection c, long id, DateTimeOffset now) =>
        c.Execute("UPDATE api_tokens SET revoked_at = $t WHERE id = $i AND revoked_at IS NULL", ("$t", now.ToMs()), ("$i", id));

    public static void Touch(SqliteConnection c, long id, DateTimeOffset now) =>
        c.Execute("UPDATE api_tokens SET last_used_at = $t WHERE id = $i", ("$t", now.ToMs()), ("$i", id));

    private static ApiToken Map(SqliteDataReader r) => new()
    {
        Id = r.Long("id")!.Value,
        Name = r.Str("name")!,
        Scope = r.Enum<ApiTokenScope>("scope"),
        CreatedAt = r.Time("created_at")!.Value,
        ExpiresAt = r.Time("expires_at"),
        RevokedAt = r.Time("revoked_at"),
        LastUsedAt = r.Time("last_used_at"),
    };
}
