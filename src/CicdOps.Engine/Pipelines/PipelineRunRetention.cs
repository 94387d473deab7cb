using CicdOps.Engine.State;

namespace CicdOps.Engine.Pipelines;

/// <summary>
/// Keeps the newest finished runs of each project (<see cref="EngineOptions.PipelineRunsKept"/>): older rows go (their
/// steps cascade) and so do their log directories. Queued and running runs are never touched, nor a run whose failed
/// workspace is still kept for debugging. Artifacts have their own expiry and are not tied to the run's row.
/// </summary>
internal static class PipelineRunRetention
{
    public static int Prune(EngineContext ctx, int keepPerProject)
    {
        if (keepPerProject < 1) throw new ArgumentOutOfRangeException(nameof(keepPerProject), "keep at least one run per project");
        var old = ctx.Db.Read(c => c.Query("""
            SELECT id, project, log_dir FROM (
                SELECT id, project, log_dir, workspace_until, status,
                       ROW_NUMBER() OVER (PARTITION BY project ORDER BY started_at DESC, id DESC) AS n
                FROM pipeline_runs WHERE status NOT IN ('Queued', 'Running'))
            WHERE n > $keep AND workspace_until IS NULL
            """, r => (Id: r.Str("id")!, Project: r.Str("project")!, LogDir: r.Str("log_dir")!), ("$keep", keepPerProject)));
        var removed = 0;
        foreach (var (id, project, logDir) in old)
        {
            // The row goes only once its logs are gone, so a directory that could not be removed is tried again next time.
            if (!RemoveLogDirectory(ctx.Layout, project, id, logDir)) continue;
            ctx.Db.Write(c => c.Execute("DELETE FROM pipeline_runs WHERE id = $id", ("$id", id)));
            removed++;
        }
        return removed;
    }

    /// <summary>Only the directory a run of this project would have written (the row is ours, but a check costs nothing).</summary>
    private static bool RemoveLogDirectory(DataLayout layout, string project, string runId, string logDir)
    {
        var expected = Path.GetFullPath(Path.Combine(layout.ProjectLogs(project), "pipelines", runId));
        if (!string.Equals(Path.GetFullPath(logDir), expected, StringComparison.Ordinal)) return true; // not ours to remove: the row still goes
        try
        {
            var dir = new DirectoryInfo(expected);
            if (dir.LinkTarget is not null) dir.Delete();
            else if (dir.Exists) dir.Delete(recursive: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }
}
