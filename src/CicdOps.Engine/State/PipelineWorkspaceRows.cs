using CicdOps.Engine.Processes;
using Microsoft.Data.Sqlite;

namespace CicdOps.Engine.State;

/// <summary>
/// What a run leaves behind (schema v15): its workspace (recorded when made, cleared when removed, kept until
/// workspace_until after a failure), and runs whose runner process died. Callers own the transaction.
/// </summary>
internal static class PipelineWorkspaceRows
{
    public static void Record(SqliteConnection c, string runId, string workspace) =>
        c.Execute("UPDATE pipeline_runs SET workspace = $w, workspace_until = NULL WHERE id = $id", ("$w", workspace), ("$id", runId));

    /// <summary>Kept until <paramref name="until"/>; null: removed already.</summary>
    public static void Keep(SqliteConnection c, string runId, DateTimeOffset? until) =>
        c.Execute(until is null ? "UPDATE pipeline_runs SET workspace = NULL, workspace_until = NULL WHERE id = $id"
            : "UPDATE pipeline_runs SET workspace_until = $u WHERE id = $id", ("$id", runId), ("$u", until?.ToMs()));

    /// <summary>Workspaces whose keeping time is over, with their project's service user.</summary>
    public static List<(string RunId, string Project, string Workspace, string? ServiceUser)> Due(SqliteConnection c, DateTimeOffset now) =>
        c.Query("""
            SELECT r.id, r.project, r.workspace, p.service_user FROM pipeline_runs r JOIN projects p ON p.name = r.project
            WHERE r.workspace IS NOT NULL AND r.workspace_until IS NOT NULL AND r.workspace_until <= $now
            """, r => (r.Str("id")!, r.Str("project")!, r.Str("workspace")!, r.Str("service_user")), ("$now", now.ToMs()));

    /// <summary>
    /// Runs whose runner process is gone (killed, crashed, the machine restarted): Running ones, and Queued ones that a
    /// `pipeline run` or a deploy was waiting on. A webhook's queued run (it has a context) is not orphaned: those rows
    /// are the listener's durable queue, and the next listener takes them over (PipelineRunStore.TakeOverOrphans).
    /// </summary>
    public static List<(string RunId, string Project, long? Pid)> Orphaned(SqliteConnection c) =>
        c.Query("SELECT id, project, runner_pid, runner_start FROM pipeline_runs WHERE " + OrphanStatus,
                r => (Id: r.Str("id")!, Project: r.Str("project")!, Pid: r.Long("runner_pid"), Start: r.Long("runner_start")))
            .Where(x => x.Pid is null || !ProcFs.IsAlive((int)x.Pid.Value, x.Start))
            .Select(x => (x.Id, x.Project, x.Pid)).ToList();

    private const string OrphanStatus = "status = 'Running' OR (status = 'Queued' AND context IS NULL)";

    /// <summary>Marks an orphaned run Failed (only while it still is orphaned); its workspace kept until <paramref name="keepUntil"/>.</summary>
    public static bool MarkRunnerDied(SqliteConnection c, string runId, string reason, DateTimeOffset now, DateTimeOffset keepUntil) =>
        c.Execute(
            "UPDATE pipeline_runs SET status = 'Failed', reason = $reason, runner_pid = NULL, duration_ms = MAX(0, $now - started_at), " +
            "workspace_until = CASE WHEN workspace IS NULL THEN NULL ELSE $until END WHERE id = $id AND (" + OrphanStatus + ")",
            ("$id", runId), ("$reason", reason), ("$now", now.ToMs()), ("$until", keepUntil.ToMs())) == 1;
}
