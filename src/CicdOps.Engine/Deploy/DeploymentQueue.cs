using CicdOps.Engine.Model;
using CicdOps.Engine.State;

namespace CicdOps.Engine.Deploy;

/// <summary>What a request did to a project's queue, and whether a runner must be started for it.</summary>
internal readonly record struct QueuedDeployment(string Project, long Id, DeploymentStatus Status, bool NeedsRunner);

/// <summary>
/// The write that puts a request in a project's queue, inside the caller's transaction: a pinned project records
/// it Skipped; otherwise it replaces (supersedes) the deployment already waiting, so at most one waits per project.
/// Shared by RequestDeployment (its own transaction) and the webhook listener (the delivery's group commit), on
/// prepared statements because the listener runs it thousands of times a second.
/// </summary>
internal static class DeploymentQueue
{
    public static QueuedDeployment Enqueue(Statements c, DataLayout layout, string project, string? commit, DeploymentTrigger trigger, bool forceInstall)
    {
        string branch, pinned;
        Lease? lease;
        // The lease is read in the same transaction as the insert below: a runner that finds its queue empty gives
        // up its lease in one transaction too, so either it sees this deployment or this read sees no lease.
        using (var r = c.Command("""
            SELECT p.branch, p.pinned_commit, l.owner, l.expires_at FROM projects p LEFT JOIN leases l ON l.project = p.name
            WHERE p.name=$n
            """, ("$n", project)).ExecuteReader())
        {
            if (!r.Read()) throw ProjectStore.NotFound(project, c.Connection);
            branch = r.GetString(0);
            pinned = r.IsDBNull(1) ? "" : r.GetString(1);
            lease = r.IsDBNull(2) ? null : new Lease(r.GetString(2), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(3)));
        }
        var now = DateTimeOffset.UtcNow.ToMs();
        // Pin and rollback are how an operator moves a pin; a recovery may redo the pinned commit itself.
        // The watchdog restarts what serves, which is the pinned commit when there is a pin.
        var bypassesPin = trigger is DeploymentTrigger.Pin or DeploymentTrigger.Rollback or DeploymentTrigger.Watchdog ||
            (trigger == DeploymentTrigger.Recovery && commit is not null && pinned.StartsWith(commit, StringComparison.Ordinal));
        if (pinned.Length > 0 && !bypassesPin)
            return new(project, Insert(c, layout, project, branch, commit, trigger, DeploymentStatus.Skipped, $"pinned to {pinned}", forceInstall, now),
                DeploymentStatus.Skipped, NeedsRunner: false);

        var id = Insert(c, layout, project, branch, commit, trigger, DeploymentStatus.Queued, null, forceInstall, now);
        c.Execute("""
            UPDATE deployments SET status='Superseded', superseded_by=$by, reason='replaced by deployment ' || $by, finished_at=$now
            WHERE project=$p AND status='Queued' AND id<>$by
            """, ("$by", id), ("$now", now), ("$p", project));
        return new(project, id, DeploymentStatus.Queued, NeedsRunner: lease?.IsLive != true);
    }

    private static long Insert(Statements c, DataLayout layout, string project, string branch, string? commit, DeploymentTrigger trigger,
        DeploymentStatus status, string? reason, bool forceInstall, long now)
    {
        // One statement, log path included: the id is the one AUTOINCREMENT would give (past both the sequence and
        // the largest id), taken inside the caller's write transaction, so the row never needs a second UPDATE.
        var logs = layout.DeploymentLogs(project);
        if (!logs.EndsWith(Path.DirectorySeparatorChar)) logs += Path.DirectorySeparatorChar;
        return (long)c.Scalar("""
            INSERT INTO deployments (id, project, requested_commit, commit_sha, branch, trigger, status, reason, force_install, queued_at, log_path,
                finished_at)
            SELECT n, $p, $rc, $rc, $b, $t, $s, $reason, $f, $now, $logs || n || '.log', CASE WHEN $s IN ('Queued','Running') THEN NULL ELSE $now END
            FROM (SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'deployments'), 0),
                             coalesce((SELECT max(id) FROM deployments), 0)) + 1 AS n)
            RETURNING id
            """,
            ("$p", project), ("$rc", commit), ("$b", branch), ("$t", trigger.ToString()), ("$s", status.ToString()),
            ("$reason", reason), ("$f", forceInstall ? 1 : 0), ("$now", now), ("$logs", logs))!;
    }
}
