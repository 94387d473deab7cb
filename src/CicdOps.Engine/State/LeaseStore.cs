using Microsoft.Data.Sqlite;

namespace CicdOps.Engine.State;

/// <summary>
/// One lease per project: the runner that holds it is the only one running that project's deployments.
/// A lease is live while it is unexpired and, on this host, while its owner process still exists.
/// </summary>
internal static class LeaseStore
{
    public static Lease? Get(SqliteConnection c, string project) =>
        c.Query("SELECT owner, expires_at FROM leases WHERE project=$p",
            r => new Lease(r.Str("owner")!, r.Time("expires_at")!.Value), ("$p", project)).FirstOrDefault();

    public static void Put(SqliteConnection c, string project, string owner, DateTimeOffset expires) => c.Execute(
        "INSERT INTO leases (project, owner, expires_at) VALUES ($p, $o, $e) ON CONFLICT(project) DO UPDATE SET owner=$o, expires_at=$e",
        ("$p", project), ("$o", owner), ("$e", expires.ToMs()));

    /// <summary>Extends our lease; false when it is no longer ours.</summary>
    public static bool Renew(SqliteConnection c, string project, string owner, DateTimeOffset expires) =>
        c.Execute("UPDATE leases SET expires_at=$e WHERE project=$p AND owner=$o", ("$p", project), ("$o", owner), ("$e", expires.ToMs())) == 1;

    public static void Release(SqliteConnection c, string project, string owner) =>
        c.Execute("DELETE FROM leases WHERE project=$p AND owner=$o", ("$p", project), ("$o", owner));
}

internal sealed record Lease(string Owner, DateTimeOffset ExpiresAt)
{
    public bool IsLive => ExpiresAt > DateTimeOffset.UtcNow && RunnerIdentity.IsAlive(Owner);
}
