using CicdOps.Engine.Model;
using CicdOps.Engine.State;

namespace CicdOps.Engine.Deploy;

/// <summary>What a request did to a project's queue, and whether a runner must be started for it.</summary>
internal readonly record struct QueuedDeployment(string Project, long Id, DeploymentStatus Status, bool NeedsRunner);

/// <summary>
/// The write that puts a request in a project's queue, inside the caller's transaction: a pinned project records
/// it Skipped; otherwise it replaces (supersedes) the deployment already waiting, so at most one waits per project.
/// Shared by RequestDeployment (its own transaction) and the webhook listener (the delivery's group commit), on
/// raw prepared statements with positional parameters (<see cref="RawStatement"/>) because the listener's writer runs
/// it thousands of times a second: through Microsoft.Data.Sqlite's commands (named parameters looked up, values boxed,
/// a reader per run) these three statements were about half of the writer's time per delivery.
/// </summary>
internal static class DeploymentQueue
{
    public static QueuedDeployment Enqueue(Statements c, DataLayout layout, string project, string? commit, DeploymentTrigger trigger, bool forceInstall)
    {
        string branch, pinned;
        Lease? lease;
        // The lease is read in the same transaction as the insert below: a runner that finds its queue empty gives
        // up its lease in one transaction too, so either it sees this deployment or this read sees no lease.
        var read = c.Raw("""
            SELECT p.branch, p.pinned_commit, l.owner, l.expires_at FROM projects p LEFT JOIN leases l ON l.project = p.name
            WHERE p.name=?1
            """).Bind(1, project);
        try
        {
            if (!read.Step()) throw ProjectStore.NotFound(project, c.Connection);
            branch = read.Text(0)!;
            pinned = read.Text(1) ?? "";
            lease = read.Text(2) is { } owner ? new Lease(owner, DateTimeOffset.FromUnixTimeMilliseconds(read.Int64(3))) : null;
        }
        finally { read.Finish(); }
        var now = DateTimeOffset.UtcNow.ToMs();
        // Pin and rollback are how an operator moves a pin; a recovery may redo the pinned commit itself.
        // The watchdog restarts what serves, which is the pinned commit when there is a pin.
        var bypassesPin = trigger is DeploymentTrigger.Pin or DeploymentTrigger.Rollback or DeploymentTrigger.Watchdog ||
            (trigger == DeploymentTrigger.Recovery && commit is not null && pinned.StartsWith(commit, StringComparison.Ordinal));
        if (pinned.Length > 0 && !bypassesPin)
            return new(project, Insert(c, layout, project, branch, commit, trigger, DeploymentStatus.Skipped, $"pinned to {pinned}", forceInstall, now),
                DeploymentStatus.Skipped, NeedsRunner: false);

        var id = Insert(c, layout, project, branch, commit, trigger, DeploymentStatus.Queued, null, forceInstall, now);
        c.Raw("""
            UPDATE deployments SET status='Superseded', superseded_by=?1, reason='replaced by deployment ' || ?1, finished_at=?2
            WHERE project=?3 AND status='Queued' AND id<>?1
            """).Bind(1, id).Bind(2, now).Bind(3, project).Step();
        return new(project, id, DeploymentStatus.Queued, NeedsRunner: lease?.IsLive != true);
    }

    private static long Insert(Statements c, DataLayout layout, string project, string branch, string? commit, DeploymentTrigger trigger,
        DeploymentStatus status, string? reason, bool forceInstall, long now)
    {
        // One statement, log path included: the id is the one AUTOINCREMENT would give (past both the sequence and
        // the largest id), taken inside the caller's write transaction, so the row never needs a second UPDATE.
        var logs = layout.DeploymentLogs(project);
        if (!logs.EndsWith(Path.DirectorySeparatorChar)) logs += Path.DirectorySeparatorChar;
        var insert = c.Raw("""
            INSERT INTO deployments (id, project, requested_commit, commit_sha, branch, trigger, status, reason, force_install, queued_at, log_path,
                finished_at)
            SELECT n, ?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 || n || '.log', CASE WHEN ?5 IN ('Queued','Running') THEN NULL ELSE ?8 END
            FROM (SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'deployments'), 0),
                             coalesce((SELECT max(id) FROM deployments), 0)) + 1 AS n)
            RETURNING id
            """).Bind(1, project).Bind(2, commit).Bind(3, branch).Bind(4, trigger.ToString()).Bind(5, status.ToString())
            .Bind(6, reason).Bind(7, forceInstall ? 1 : 0).Bind(8, now).Bind(9, logs);
        // The row is written by the first step (RETURNING hands its id back); the reset ends the statement.
        try { return insert.Step() ? insert.Int64(0) : throw new InvalidOperationException("INSERT … RETURNING returned no row"); }
        finally { insert.Finish(); }
    }
}
