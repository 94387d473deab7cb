using CicdOps.Engine.Processes;
using Microsoft.Data.Sqlite;

namespace CicdOps.Engine.State;

/// <summary>
/// Pipeline runs and their steps (schema versions 5 and 11): a row from the run's start (Running, with the process
/// that runs it), finished with its status and steps. Callers own the transaction.
/// </summary>
internal static class PipelineRunStore
{
    /// <summary>
    /// Inserts the run Queued, owned by this process. <paramref name="context"/> (a webhook's <c>PipelineTrigger</c> as
    /// JSON) marks a run the process that queued it runs in the background, which another listener may take over.
    /// </summary>
    public static void Start(SqliteConnection c, string runId, string project, string? commit, string eventName, DateTimeOffset startedAt, string logDir,
        string? context = null, string? supersedeKey = null)
    {
        var pid = Environment.ProcessId;
        c.Execute("""
            INSERT INTO pipeline_runs (id, project, commit_sha, event, status, started_at, duration_ms, log_dir, runner_pid, runner_start, context, supersede_key)
            VALUES ($id, $project, $commit, $event, 'Queued', $started, 0, $log, $pid, $start, $context, $key)
            """,
            ("$id", runId), ("$project", project), ("$commit", commit ?? ""), ("$event", eventName), ("$started", startedAt.ToMs()),
            ("$log", logDir), ("$pid", pid), ("$start", OperatingSystem.IsLinux() ? ProcFs.StartTicks(pid) : null),
            ("$context", context), ("$key", supersedeKey));
    }

    /// <summary>The trigger a webhook stored with its run (null for runs started by hand or by a deploy).</summary>
    public static string? Context(SqliteConnection c, string runId) =>
        c.Scalar("SELECT context FROM pipeline_runs WHERE id = $id", ("$id", runId)) as string;

    /// <summary>Queued webhook runs this process owns, first queued first.</summary>
    public static List<string> QueuedInBackground(SqliteConnection c) =>
        c.Query("""
            SELECT id FROM pipeline_runs WHERE status = 'Queued' AND context IS NOT NULL AND runner_pid = $pid
            ORDER BY started_at, id
            """, r => r.GetString(0), ("$pid", Environment.ProcessId));

    /// <summary>
    /// Makes this process the owner of queued webhook runs whose process died (a listener stopped or killed before
    /// running them): they are durable, so the next listener runs them. Returns how many.
    /// </summary>
    public static int TakeOverOrphans(SqliteConnection c)
    {
        var orphans = c.Query("SELECT id, runner_pid, runner_start FROM pipeline_runs WHERE status = 'Queued' AND context IS NOT NULL",
                r => (Id: r.Str("id")!, Pid: (int?)r.Long("runner_pid"), Start: r.Long("runner_start")))
            .Where(x => x.Pid is not { } pid || !ProcFs.IsAlive(pid, x.Start)).ToList();
        var me = Environment.ProcessId;
        foreach (var o in orphans)
            c.Execute("UPDATE pipeline_runs SET runner_pid = $pid, runner_start = $start WHERE id = $id",
                ("$pid", me), ("$start", OperatingSystem.IsLinux() ? ProcFs.StartTicks(me) : null), ("$id", o.Id));
        return orphans.Count;
    }

    /// <summary>Forgets a run that had nothing to do (a pushed commit without a pipeline file).</summary>
    public static void Delete(SqliteConnection c, string runId) =>
        c.Execute("DELETE FROM pipeline_runs WHERE id = $id", ("$id", runId));

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

    /// <summary>Asks the process running it to cancel; false when the run is not queued or running.</summary>
    public static bool RequestCancel(SqliteConnection c, string runId) =>
        c.Execute("UPDATE pipeline_runs SET cancel_requested = 1 WHERE id = $id AND status IN ('Running', 'Queued')", ("$id", runId)) == 1;

    /// <summary>
    /// A newer run of a project replaces its waiting ones with the same key (the same branch's pushes, the same pull
    /// request's updates): they would test a commit no longer the tip.
    /// </summary>
    public static void SupersedeWaiting(SqliteConnection c, string project, string newerRunId, string supersedeKey) =>
        c.Execute("""
            UPDATE pipeline_runs SET status = 'Superseded', reason = 'superseded by run ' || $newer, runner_pid = NULL
            WHERE project = $project AND status = 'Queued' AND supersede_key = $key AND id <> $newer
            """, ("$project", project), ("$newer", newerRunId), ("$key", supersedeKey));

    /// <summary>
    /// Moves a queued run to Running when fewer than <paramref name="max"/> live runs are running and no run queued
    /// before it still waits (first come, first served). Returns the run's status afterwards (Queued, Running,
    /// or Superseded). Runs whose process died count as neither.
    /// </summary>
    public static PipelineRunStatus TryClaim(SqliteConnection c, string runId, int max)
    {
        var status = c.Scalar("SELECT status FROM pipeline_runs WHERE id = $id", ("$id", runId)) as string;
        if (status != "Queued") return Enum.Parse<PipelineRunStatus>(status ?? "Failed");
        var active = c.Query("SELECT id, status, runner_pid, runner_start, started_at FROM pipeline_runs WHERE status IN ('Running', 'Queued')",
            r => (Id: r.Str("id")!, Status: r.Str("status")!, Pid: (int?)r.Long("runner_pid"), Start: r.Long("runner_start"), At: r.Long("started_at")!.Value))
            .Where(x => x.Pid is { } pid && ProcFs.IsAlive(pid, x.Start)).ToList();
        var mine = active.Single(x => x.Id == runId);
        var running = active.Count(x => x.Status == "Running");
        var ahead = active.Count(x => x.Status == "Queued" && (x.At < mine.At || (x.At == mine.At && string.CompareOrdinal(x.Id, runId) < 0)));
        if (running + ahead >= max) return PipelineRunStatus.Queued;
        c.Execute("UPDATE pipeline_runs SET status = 'Running' WHERE id = $id", ("$id", runId));
        return PipelineRunStatus.Running;
    }

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
            if (run.Status is PipelineRunStatus.Running or PipelineRunStatus.Queued)
            {
                var pid = (int?)r.Long("runner_pid");
                if (pid is null || !ProcFs.IsAlive(pid.Value, r.Long("runner_start")))
                    run = run with { Status = PipelineRunStatus.Failed, Reason = "the process running it ended before the run finished" };
                else if (run.Status == PipelineRunStatus.Running) run = run with { Duration = DateTimeOffset.UtcNow - run.StartedAt!.Value };
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
