using Microsoft.Data.Sqlite;

namespace CicdOps.Engine.State;

/// <summary>
/// One release directory the engine made under a project's releases/: its commit, and what the commit
/// records for the scripts (so switching back to it needs no git), and when install.sh last succeeded in it.
/// </summary>
internal sealed record ReleaseRecord(string Project, string Name, string Commit, DateTimeOffset CreatedAt, DateTimeOffset? InstalledAt,
    string? InstallObject, bool HasRun, bool HasHealth);

/// <summary>Rows of the releases table. Callers own the connection and transaction.</summary>
internal static class ReleaseStore
{
    /// <summary>Newest first.</summary>
    public static List<ReleaseRecord> List(SqliteConnection c, string project) =>
        c.Query("SELECT * FROM releases WHERE project=$p ORDER BY created_at DESC, name DESC", Map, ("$p", project));

    public static ReleaseRecord? Find(SqliteConnection c, string project, string name) =>
        c.Query("SELECT * FROM releases WHERE project=$p AND name=$n", Map, ("$p", project), ("$n", name)).FirstOrDefault();

    /// <summary>The newest kept release of a commit, if any.</summary>
    public static ReleaseRecord? ForCommit(SqliteConnection c, string project, string commit) =>
        c.Query("SELECT * FROM releases WHERE project=$p AND commit_sha=$c ORDER BY created_at DESC LIMIT 1", Map,
            ("$p", project), ("$c", commit)).FirstOrDefault();

    public static void Insert(SqliteConnection c, ReleaseRecord r) => c.Execute("""
        INSERT INTO releases (project, name, commit_sha, created_at, installed_at, install_object, has_run, has_health)
        VALUES ($p, $n, $c, $t, $i, $o, $r, $h)
        """,
        ("$p", r.Project), ("$n", r.Name), ("$c", r.Commit), ("$t", r.CreatedAt.ToMs()), ("$i", r.InstalledAt?.ToMs()),
        ("$o", r.InstallObject), ("$r", r.HasRun ? 1 : 0), ("$h", r.HasHealth ? 1 : 0));

    public static void SetInstalled(SqliteConnection c, string project, string name, DateTimeOffset at) =>
        c.Execute("UPDATE releases SET installed_at=$t WHERE project=$p AND name=$n", ("$t", at.ToMs()), ("$p", project), ("$n", name));

    /// <summary>What the commit records for the scripts, once its listing (run beside the checkout) is read.</summary>
    public static void SetScripts(SqliteConnection c, string project, string name, string? installObject, bool hasRun, bool hasHealth) =>
        c.Execute("UPDATE releases SET install_object=$o, has_run=$r, has_health=$h WHERE project=$p AND name=$n",
            ("$o", installObject), ("$r", hasRun ? 1 : 0), ("$h", hasHealth ? 1 : 0), ("$p", project), ("$n", name));

    public static void Delete(SqliteConnection c, string project, string name) =>
        c.Execute("DELETE FROM releases WHERE project=$p AND name=$n", ("$p", project), ("$n", name));

    private static ReleaseRecord Map(SqliteDataReader r) => new(
        r.Str("project")!, r.Str("name")!, r.Str("commit_sha")!, r.Time("created_at")!.Value, r.Time("installed_at"),
        r.Str("install_object"), r.Long("has_run") == 1, r.Long("has_health") == 1);
}
