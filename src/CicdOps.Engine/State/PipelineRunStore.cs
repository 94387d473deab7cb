using CicdOps.Engine.Processes;
using Microsoft.Data.Sqlite;

namespace CicdOps.Engine.State;

/// <summary>
/// Pipeline runs and their steps (schema versions 5 and 11): a row from the run's start (Running, with the process
/// that runs it), finished with its status and steps. Callers own the transaction.
/// </summary>
internal static class PipelineRunStore
{
    public static void Start(SqliteConnection c, string runId, string project, string? commit, string eventName, DateTimeOffset startedAt, string logDir)
    {
        var pid = Environment.ProcessId;
        c.Execute("""
            INSERT INTO pipeline_runs (id, project, commit_sha, event, status, started_at, duration_ms, log_dir, runner_pid, runner_start)
            VALUES ($id, $project, $commit, $event, 'Running', $started, 0, $log, $pid, $start)
            """,
            ("$id", runId), ("$project", project), ("$commit", commit ?? ""), ("$event", eventName), ("$started", startedAt.ToMs()),
            ("$log", logDir), ("$pid", pid), ("$start", OperatingSystem.IsLinux() ? ProcFs.StartTicks(pid) : null));
    }

    public static void Finish(SqliteConnection c, PipelineRun run)
    {
        c.Execute("""
            UPDATE pipeline_runs SET commit_sha = $commit, status = $status, reason = $reason, duration_ms = $duration, runner_pid = NULL
            WHERE id = $id
            """,
            ("$id", run.RunId), ("$commit", run.Commit), ("$status", run.Status.ToString()), ("$reason", run.Reason),
            ("$duration", (long)run.Duration.TotalMilliseconds));
        c.Execute("DELETE FROM pipeline_steps WHERE run_id = $run", ("$run", run.RunId));
        foreach (var s in run.Steps)
            c.Execute("""
                INSERT INTO pipeline_steps (run_id, idx, name, status, exit_code, duration_ms, reason, log_path)
                VALUES ($run, $idx, $name, $status, $code, $duration, $reason, $log)
                """,
                ("$run", run.RunId), ("$idx", s.Index), ("$name", s.Name), ("$status", s.Status.ToString()), ("$code", s.ExitCode),
                ("$duration", (long)s.Duration.TotalMilliseconds), ("$reason", s.Reason), ("$log", s.LogPath));
    }

    /// <summary>Asks the process running it to cancel; false when the run is not running.</summary>
    public static bool RequestCancel(SqliteConnection c, string runId) =>
        c.Execute("UPDATE pipeline_runs SET cancel_requested = 1 WHERE id = $id AND status = 'Running'", ("$id", runId)) == 1;

    public static bool CancelRequested(SqliteConnection c, string runId) =>
        Convert.ToInt64(c.Scalar("SELECT cancel_requested FROM pipeline_runs WHERE id = $id", ("$id", runId)) ?? 0L) == 1;

    /// <summary>A project's runs, newest first.</summary>
    public static List<PipelineRun> List(SqliteConnection c, string project, int limit) =>
        Read(c, "SELECT * FROM pipeline_runs WHERE project = $project ORDER BY started_at DESC, id DESC LIMIT $limit",
            ("$project", project), ("$limit", limit));

    public static PipelineRun? Get(SqliteConnection c, string runId) =>
        Read(c, "SELECT * FROM pipeline_runs WHERE id = $id", ("$id", runId)).SingleOrDefault();

    /// <summary>
    /// Rows to runs. A Running row whose process is gone (killed, the machine restarted) is shown Failed with why:
    /// nothing will ever finish it.
    /// </summary>
    private static List<PipelineRun> Read(SqliteConnection c, string sql, params (string, object?)[] args)
    {
        var runs = c.Query(sql, r =>
        {
            var run = new PipelineRun(r.Str("id")!, r.Str("project")!, r.Str("commit_sha")!, r.Str("event")!,
                r.Enum<PipelineRunStatus>("status"), r.Str("reason"), TimeSpan.FromMilliseconds(r.Long("duration_ms")!.Value),
                Array.Empty<PipelineStepResult>(), r.Str("log_dir")!) { StartedAt = r.Time("started_at") };
            if (run.Status == PipelineRunStatus.Running)
            {
                var pid = (int?)r.Long("runner_pid");
                if (pid is null || !ProcFs.IsAlive(pid.Value, r.Long("runner_start")))
                    run = run with { Status = PipelineRunStatus.Failed, Reason = "the process running it ended before the run finished" };
                else run = run with { Duration = DateTimeOffset.UtcNow - run.StartedAt!.Value };
            }
            return run;
        }, args);
        return runs.Select(x => x with { Steps = Steps(c, x.RunId) }).ToList();
    }

    private static List<PipelineStepResult> Steps(SqliteConnection c, string runId) =>
        c.Query("SELECT * FROM pipeline_steps WHERE run_id = $run ORDER BY idx", r => new PipelineStepResult(
            (int)r.Long("idx")!.Value, r.Str("name")!, r.Enum<PipelineStepStatus>("status"), (int?)r.Long("exit_code"),
            TimeSpan.FromMilliseconds(r.Long("duration_ms")!.Value), r.Str("reason"), r.Str("log_path")), ("$run", runId));
}
