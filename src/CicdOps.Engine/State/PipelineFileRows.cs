using Microsoft.Data.Sqlite;

namespace CicdOps.Engine.State;

/// <summary>
/// Rows of pipeline caches and artifacts (schema v15): where each archive is, its size, and when it was made, last
/// used and expires. Callers own the transaction; the files themselves are <see cref="Pipelines.PipelineFileStore"/>'s.
/// </summary>
internal static class PipelineFileRows
{
    private static string Table(PipelineFileKind kind) => kind == PipelineFileKind.Cache ? "pipeline_caches" : "pipeline_artifacts";

    /// <summary>Records an archive; returns the file of the entry it replaced (a cache saved again under its key), if any.</summary>
    public static string? Put(SqliteConnection c, PipelineFileKind kind, PipelineArtifact a, string file)
    {
        var old = kind == PipelineFileKind.Cache
            ? c.Scalar("SELECT file FROM pipeline_caches WHERE project = $p AND key = $k", ("$p", a.Project), ("$k", a.Key)) as string
            : c.Scalar("SELECT file FROM pipeline_artifacts WHERE run_id = $r AND key = $k", ("$r", a.RunId), ("$k", a.Key)) as string;
        c.Execute($"""
            INSERT OR REPLACE INTO {Table(kind)} (project, key, file, run_id, step_idx, size_bytes, file_count, created_at, last_used_at, expires_at)
            VALUES ($p, $k, $f, $r, $s, $size, $n, $created, $used, $expires)
            """,
            ("$p", a.Project), ("$k", a.Key), ("$f", file), ("$r", a.RunId), ("$s", a.Step), ("$size", a.SizeBytes), ("$n", a.FileCount),
            ("$created", a.CreatedAt.ToMs()), ("$used", a.LastUsedAt.ToMs()), ("$expires", a.ExpiresAt.ToMs()));
        return old == file ? null : old;
    }

    /// <summary>The live (not expired) cache of a project's key, marked used now.</summary>
    public static (PipelineArtifact Entry, string File)? UseCache(SqliteConnection c, string project, string key, DateTimeOffset now)
    {
        var hit = Read(c, "SELECT * FROM pipeline_caches WHERE project = $p AND key = $k AND expires_at > $now",
            PipelineFileKind.Cache, ("$p", project), ("$k", key), ("$now", now.ToMs())).FirstOrDefault();
        if (hit.File is null) return null;
        c.Execute("UPDATE pipeline_caches SET last_used_at = $now WHERE project = $p AND key = $k", ("$now", now.ToMs()), ("$p", project), ("$k", key));
        return hit;
    }

    /// <summary>An entry fetched by a user is used too (it moves back in the eviction order).</summary>
    public static void Touch(SqliteConnection c, PipelineArtifact a, DateTimeOffset now)
    {
        if (a.Kind == PipelineFileKind.Cache)
            c.Execute("UPDATE pipeline_caches SET last_used_at = $now WHERE project = $p AND key = $k", ("$now", now.ToMs()), ("$p", a.Project), ("$k", a.Key));
        else
            c.Execute("UPDATE pipeline_artifacts SET last_used_at = $now WHERE run_id = $r AND key = $k", ("$now", now.ToMs()), ("$r", a.RunId), ("$k", a.Key));
    }

    /// <summary>Live entries of one kind, newest first, optionally of one project and one run.</summary>
    public static List<(PipelineArtifact Entry, string File)> List(SqliteConnection c, PipelineFileKind kind, string? project, string? runId, DateTimeOffset now) =>
        Read(c, $"""
            SELECT * FROM {Table(kind)} WHERE expires_at > $now AND ($p IS NULL OR project = $p) AND ($r IS NULL OR run_id = $r)
            ORDER BY created_at DESC, key
            """, kind, ("$now", now.ToMs()), ("$p", project), ("$r", runId));

    /// <summary>Every entry of one kind, least recently used first (eviction order), expired ones included.</summary>
    public static List<(PipelineArtifact Entry, string File)> ByLastUse(SqliteConnection c, PipelineFileKind kind) =>
        Read(c, $"SELECT * FROM {Table(kind)} ORDER BY last_used_at, created_at", kind);

    public static List<(PipelineArtifact Entry, string File)> Expired(SqliteConnection c, PipelineFileKind kind, DateTimeOffset now) =>
        Read(c, $"SELECT * FROM {Table(kind)} WHERE expires_at <= $now", kind, ("$now", now.ToMs()));

    public static void Delete(SqliteConnection c, PipelineArtifact a)
    {
        if (a.Kind == PipelineFileKind.Cache)
            c.Execute("DELETE FROM pipeline_caches WHERE project = $p AND key = $k", ("$p", a.Project), ("$k", a.Key));
        else
            c.Execute("DELETE FROM pipeline_artifacts WHERE run_id = $r AND key = $k", ("$r", a.RunId), ("$k", a.Key));
    }

    /// <summary>Every file any row names (the rest under the store's directories is debris of a crash).</summary>
    public static HashSet<string> Files(SqliteConnection c) =>
        c.Query("SELECT file FROM pipeline_caches UNION ALL SELECT file FROM pipeline_artifacts", r => r.Str("file")!).ToHashSet(StringComparer.Ordinal);

    private static List<(PipelineArtifact Entry, string File)> Read(SqliteConnection c, string sql, PipelineFileKind kind, params (string, object?)[] args) =>
        c.Query(sql, r => (new PipelineArtifact(kind, r.Str("project")!, r.Str("key")!, r.Str("run_id")!, (int)r.Long("step_idx")!.Value,
            r.Long("size_bytes")!.Value, (int)r.Long("file_count")!.Value, r.Time("created_at")!.Value, r.Time("last_used_at")!.Value,
            r.Time("expires_at")!.Value), r.Str("file")!), args);
}
