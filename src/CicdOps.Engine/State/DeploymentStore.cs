using CicdOps.Engine.Model;
using Microsoft.Data.Sqlite;

namespace CicdOps.Engine.State;

/// <summary>Rows of the deployments and deployment_stages tables. Callers own the connection and transaction.</summary>
internal static class DeploymentStore
{
    public static Deployment? Find(SqliteConnection c, long id)
    {
        var d = c.Query("SELECT * FROM deployments WHERE id=$id", Map, ("$id", id)).FirstOrDefault();
        return d is null ? null : d with { Stages = Stages(c, id) };
    }

    public static Deployment Get(SqliteConnection c, long id) => Find(c, id) ?? throw new CicdException(
        CicdError.DeploymentNotFound, $"No deployment with id {id}.", id);

    /// <summary>Just the status of a deployment (null: no such id): what a waiter without progress polls.</summary>
    public static DeploymentStatus? StatusOf(SqliteConnection c, long id) => c.Query(
        "SELECT status FROM deployments WHERE id=$id", r => (DeploymentStatus?)r.Enum<DeploymentStatus>("status"), ("$id", id)).FirstOrDefault();

    public static List<Deployment> List(SqliteConnection c, string? project, int limit)
    {
        var list = project is null
            ? c.Query("SELECT * FROM deployments ORDER BY id DESC LIMIT $l", Map, ("$l", limit))
            : c.Query("SELECT * FROM deployments WHERE project=$p ORDER BY id DESC LIMIT $l", Map, ("$p", project), ("$l", limit));
        return list.Select(d => d with { Stages = Stages(c, d.Id) }).ToList();
    }

    /// <summary>Each project's newest deployment (without stages), in one query: the dashboard's fleet view.</summary>
    public static List<Deployment> LatestPerProject(SqliteConnection c) =>
        c.Query("SELECT d.* FROM deployments d JOIN (SELECT MAX(id) AS id FROM deployments GROUP BY project) m ON d.id = m.id", Map);

    public static Deployment? FindByStatus(SqliteConnection c, string project, DeploymentStatus status) =>
        c.Query("SELECT * FROM deployments WHERE project=$p AND status=$s ORDER BY id LIMIT 1", Map,
            ("$p", project), ("$s", status.ToString())).FirstOrDefault();

    public static List<Deployment> AllWithStatus(SqliteConnection c, DeploymentStatus status) =>
        c.Query("SELECT * FROM deployments WHERE status=$s ORDER BY id", Map, ("$s", status.ToString()));

    public static void MarkRunning(SqliteConnection c, long id, string runner) => c.Execute(
        "UPDATE deployments SET status='Running', runner=$r, started_at=$now WHERE id=$id",
        ("$r", runner), ("$now", DateTimeOffset.UtcNow.ToMs()), ("$id", id));

    /// <summary>Records how the deployment ended and, in the same transaction, the notification that reports it (if any).</summary>
    public static void Finish(SqliteConnection c, long id, DeploymentStatus status, string? reason, string? rolledBackTo = null)
    {
        c.Execute(
            "UPDATE deployments SET status=$s, reason=$reason, rolled_back_to=$rb, finished_at=$now, child_pgid=NULL WHERE id=$id",
            ("$s", status.ToString()), ("$reason", reason), ("$rb", rolledBackTo), ("$now", DateTimeOffset.UtcNow.ToMs()), ("$id", id));
        Notifications.NotificationOutbox.EnqueueDeploymentOutcome(c, id, status, reason, rolledBackTo);
    }

    public static void SetCommit(SqliteConnection c, long id, string sha) =>
        c.Execute("UPDATE deployments SET commit_sha=$c WHERE id=$id", ("$c", sha), ("$id", id));

    public static void SetStage(SqliteConnection c, long id, DeploymentStage stage) =>
        c.Execute("UPDATE deployments SET stage=$s WHERE id=$id", ("$s", stage.ToString()), ("$id", id));

    public static void SetChildGroup(SqliteConnection c, long id, int? pgid) =>
        c.Execute("UPDATE deployments SET child_pgid=$g WHERE id=$id", ("$g", pgid), ("$id", id));

    public static void RequestCancel(SqliteConnection c, long id) =>
        c.Execute("UPDATE deployments SET cancel_requested=1 WHERE id=$id", ("$id", id));

    public static bool IsCancelRequested(SqliteConnection c, long id) =>
        Convert.ToInt64(c.Scalar("SELECT cancel_requested FROM deployments WHERE id=$id", ("$id", id)) ?? 0L) == 1;

    public static int? ChildGroup(SqliteConnection c, long id) =>
        c.Scalar("SELECT child_pgid FROM deployments WHERE id=$id", ("$id", id)) is long g ? (int)g : null;

    public static string? Runner(SqliteConnection c, long id) =>
        c.Scalar("SELECT runner FROM deployments WHERE id=$id", ("$id", id)) as string;

    /// <summary>Has this commit ever been deployed successfully for the project (as the target, or restored by a rollback)?</summary>
    public static bool EverSucceeded(SqliteConnection c, string project, string sha) =>
        c.Scalar("""
            SELECT 1 FROM deployments WHERE project=$p AND (
                (status='Succeeded' AND commit_sha=$c) OR (status='RolledBack' AND rolled_back_to=$c)) LIMIT 1
            """, ("$p", project), ("$c", sha)) is not null;

    /// <summary>The newest successful commit other than <paramref name="except"/>.</summary>
    public static string? PreviousSuccessful(SqliteConnection c, string project, string? except) =>
        c.Scalar("""
            SELECT commit_sha FROM deployments WHERE project=$p AND status='Succeeded' AND commit_sha IS NOT NULL
                AND ($e IS NULL OR commit_sha <> $e) ORDER BY id DESC LIMIT 1
            """, ("$p", project), ("$e", except)) as string;

    public static List<string> RecentCommits(SqliteConnection c, string project, int limit) =>
        c.Query("SELECT commit_sha, MAX(id) AS last FROM deployments WHERE project=$p AND commit_sha IS NOT NULL GROUP BY commit_sha ORDER BY last DESC LIMIT $l",
            r => r.Str("commit_sha")!, ("$p", project), ("$l", limit));

    // ---- stages ----
    public static int StartStage(SqliteConnection c, long id, DeploymentStage stage, bool rollback)
    {
        var seq = Convert.ToInt32(c.Scalar("SELECT COALESCE(MAX(seq), 0) + 1 FROM deployment_stages WHERE deployment_id=$id", ("$id", id)));
        c.Execute("""
            INSERT INTO deployment_stages (deployment_id, seq, stage, rollback, started_at, outcome)
            VALUES ($id, $seq, $stage, $rb, $now, 'Running')
            """, ("$id", id), ("$seq", seq), ("$stage", stage.ToString()), ("$rb", rollback ? 1 : 0), ("$now", DateTimeOffset.UtcNow.ToMs()));
        SetStage(c, id, stage);
        return seq;
    }

    public static void FinishStage(SqliteConnection c, long id, int seq, StageOutcome outcome, int? exitCode, string? detail) => c.Execute("""
        UPDATE deployment_stages SET finished_at=$now, outcome=$o, exit_code=$x, detail=$d WHERE deployment_id=$id AND seq=$seq
        """, ("$now", DateTimeOffset.UtcNow.ToMs()), ("$o", outcome.ToString()), ("$x", exitCode), ("$d", detail), ("$id", id), ("$seq", seq));

    /// <summary>Stages left Running by a runner that died are closed as Cancelled.</summary>
    public static void CloseOpenStages(SqliteConnection c, long id) => c.Execute(
        "UPDATE deployment_stages SET finished_at=$now, outcome='Cancelled' WHERE deployment_id=$id AND outcome='Running'",
        ("$now", DateTimeOffset.UtcNow.ToMs()), ("$id", id));

    private static List<StageResult> Stages(SqliteConnection c, long id) => c.Query(
        "SELECT * FROM deployment_stages WHERE deployment_id=$id ORDER BY seq",
        r => new StageResult
        {
            Stage = r.Enum<DeploymentStage>("stage"),
            StartedAt = r.Time("started_at")!.Value,
            FinishedAt = r.Time("finished_at"),
            ExitCode = r.Long("exit_code") is { } x ? (int)x : null,
            Outcome = r.Enum<StageOutcome>("outcome"),
            Detail = r.Str("detail"),
            Rollback = r.Long("rollback") == 1,
        }, ("$id", id));

    private static Deployment Map(SqliteDataReader r) => new()
    {
        Id = r.Long("id")!.Value,
        Project = r.Str("project")!,
        Commit = r.Str("commit_sha"),
        RequestedCommit = r.Str("requested_commit"),
        Branch = r.Str("branch")!,
        Trigger = r.Enum<DeploymentTrigger>("trigger"),
        Status = r.Enum<DeploymentStatus>("status"),
        Stage = r.Str("stage") is { } s ? System.Enum.Parse<DeploymentStage>(s) : null,
        Reason = r.Str("reason"),
        ForceInstall = r.Long("force_install") == 1,
        RolledBackTo = r.Str("rolled_back_to"),
        SupersededBy = r.Long("superseded_by"),
        QueuedAt = r.Time("queued_at")!.Value,
        StartedAt = r.Time("started_at"),
        FinishedAt = r.Time("finished_at"),
        LogPath = r.Str("log_path")!,
    };
}
