using Microsoft.Data.Sqlite;

namespace CicdOps.Engine.State;

/// <summary>
/// How the state database is judged sound, and the one error for when it is not. Cheap checks run at every open
/// (the file is a SQLite database, has CicdOps's schema and not a newer one); SQLite's quick_check, which reads
/// every page, runs once per listener start and before a backup.
/// </summary>
internal static class StateIntegrity
{
    private const int SqliteCorrupt = 11, SqliteNotADatabase = 26;

    public static bool IsDamage(SqliteException e) => e.SqliteErrorCode is SqliteCorrupt or SqliteNotADatabase;

    /// <summary>At open, before anything is written: an existing file must hold CicdOps state of a known version. Returns that version.</summary>
    public static int CheckOpened(SqliteConnection c, string file)
    {
        var version = Convert.ToInt32(Scalar(c, "PRAGMA user_version"));
        if (version > Schema.LatestVersion)
            throw new CicdException(CicdError.StateUnusable,
                $"State database '{file}' is at schema version {version}, newer than this CicdOps knows ({Schema.LatestVersion}).", file,
                "Use the CicdOps version that wrote it, or restore a backup made by this version.");
        if (version == 0)
        {
            var size = new FileInfo(file).Length;
            throw Damaged(file, size == 0 ? "the file is empty (0 bytes)" : "it holds no CicdOps state (schema version 0)");
        }
        // Every version has the projects table: its absence is damage, not an old version.
        if (Scalar(c, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'projects'") is null)
            throw Damaged(file, "the projects table is missing");
        return version;
    }

    public static void QuickCheck(SqliteConnection c, string file)
    {
        var problems = new List<string>();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA quick_check(5)";
        using (var r = cmd.ExecuteReader())
            while (r.Read()) problems.Add(r.GetString(0));
        if (problems is ["ok"]) return;
        throw Damaged(file, "SQLite's check found: " + string.Join("; ", problems));
    }

    public static CicdException Damaged(string file, string what, Exception? inner = null) =>
        new(CicdError.StateUnusable,
            $"State database '{file}' is damaged: {what}. Stop CicdOps and restore it from a backup (see 'cicdops backup' / Backup-CicdState); " +
            "to start over with no projects, move the file away.",
            file, $"Stop the listener, copy your latest backup over '{file}' (removing {Path.GetFileName(file)}-wal and -shm), then start again.", inner);

    private static object? Scalar(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }
}
