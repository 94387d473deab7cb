using Microsoft.Data.Sqlite;

namespace CicdOps.Engine.State;

/// <summary>Finished pipeline runs and their steps (schema version 5). Callers own the transaction.</summary>
internal static class PipelineRunStore
{
    public static void Insert(SqliteConnection c, PipelineRun run, DateTimeOffset startedAt)
    {
        c.Execute("""
            INSERT INTO pipeline_runs (id, project, commit_sha, event, status, reason, started_at, duration_ms, log_dir)
            VALUES ($id, $project, $commit, $event, $status, $reason, $started, $duration, $log)
            """,
            ("$id", run.RunId), ("$project", run.Project), ("$commit", run.Commit), ("$event", run.Event), ("$status", run.Status.ToString()),
            ("$reason", run.Reason), ("$started", startedAt.ToMs()), ("$duration", (long)run.Duration.TotalMilliseconds), ("$log", run.LogDirectory));
        foreach (var s in run.Steps)
            c.Execute("""
                INSERT INTO pipeline_steps (run_id, idx, name, status, exit_code, duration_ms, reason, log_path)
                VALUES ($run, $idx, $name, $status, $code, $duration, $reason, $log)
                """,
                ("$run", run.RunId), ("$idx", s.Index), ("$name", s.Name), ("$status", s.Status.ToString()), ("$code", s.ExitCode),
                ("$duration", (long)s.Duration.TotalMilliseconds), ("$reason", s.Reason), ("$log", s.LogPath));
    }

    /// <summary>A project's runs, newest first.</summary>
    public static List<PipelineRun> List(SqliteConnection c, string project, int limit)
    {
        var runs = c.Query("""
            SELECT * FROM pipeline_runs WHERE project = $project ORDER BY started_at DESC, id DESC LIMIT $limit
            """, r => (Id: r.Str("id")!, Run: new PipelineRun(r.Str("id")!, r.Str("project")!, r.Str("commit_sha")!, r.Str("event")!,
                r.Enum<PipelineRunStatus>("status"), r.Str("reason"), TimeSpan.FromMilliseconds(r.Long("duration_ms")!.Value),
                Array.Empty<PipelineStepResult>(), r.Str("log_dir")!)),
            ("$project", project), ("$limit", limit));
        return runs.Select(x => x.Run with { Steps = Steps(c, x.Id) }).ToList();
    }

    private static List<PipelineStepResult> Steps(SqliteConnection c, string runId) =>
        c.Query("SELECT * FROM pipeline_steps WHERE run_id = $run ORDER BY idx", r => new PipelineStepResult(
            (int)r.Long("idx")!.Value, r.Str("name")!, r.Enum<PipelineStepStatus>("status"), (int?)r.Long("exit_code"),
            TimeSpan.FromMilliseconds(r.Long("duration_ms")!.Value), r.Str("reason"), r.Str("log_path")), ("$run", runId));
}
