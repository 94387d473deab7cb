using CicdOps.Engine.State;
using Microsoft.Data.Sqlite;

namespace CicdOps.Engine.Notifications;

/// <summary>
/// The one entry point for reporting an event: a row in notification_outbox written on the caller's connection,
/// inside the caller's transaction, so the notification exists exactly when the event it reports was committed
/// (a rolled-back deployment outcome leaves no message behind). One cheap INSERT: matching channels, throttling
/// and sending all happen later in the listener's sender (<see cref="NotificationSender"/>), so reporting never
/// blocks, slows or fails what it reports. Call it from inside <c>Database.Write</c> (or a WriteBatcher unit).
/// </summary>
internal static class NotificationOutbox
{
    public const string Sql = """
        INSERT INTO notification_outbox (kind, project, node, commit_sha, commit_url, reason, subject, command, count, created_at)
        VALUES ($kind, $project, $node, $commit, $url, $reason, $subject, $command, $count, $now)
        """;

    /// <summary>Adds <paramref name="e"/> to the outbox in <paramref name="tx"/>'s open transaction.</summary>
    public static void Enqueue(SqliteConnection tx, NotificationEvent e)
    {
        if (e.Kind == NotificationEventKind.Test) throw new ArgumentException("Test messages are sent directly, not queued.", nameof(e));
        tx.Execute(Sql, Args(e));
    }

    /// <summary>The same, for a unit of work that runs on prepared <see cref="Statements"/> (the webhook writer).</summary>
    public static void Enqueue(Statements tx, NotificationEvent e) => tx.Execute(Sql, Args(e));

    private static (string, object?)[] Args(NotificationEvent e) =>
    [
        ("$kind", e.Kind.ToString()), ("$project", e.Project), ("$node", e.Node ?? NodeName), ("$commit", e.Commit),
        ("$url", ForgeLinks.Commit(e.Repository, e.Commit)), ("$reason", Trim(e.Reason)), ("$subject", e.Subject),
        ("$command", e.Command), ("$count", e.Count), ("$now", DateTimeOffset.UtcNow.ToMs()),
    ];

    /// <summary>This machine's name as messages show it.</summary>
    public static string NodeName { get; } = Environment.MachineName;

    // A reason is one line for a chat message: health output can be long.
    private static string? Trim(string? reason) => reason is { Length: > 1000 } ? reason[..1000] + "…" : reason;

    /// <summary>The deployment's outcome as an event (null for outcomes nobody is told about: cancelled, skipped, superseded).</summary>
    public static void EnqueueDeploymentOutcome(SqliteConnection tx, long deploymentId, DeploymentStatus status, string? reason, string? rolledBackTo)
    {
        NotificationEventKind? kind = status switch
        {
            DeploymentStatus.Succeeded => NotificationEventKind.DeploymentSucceeded,
            DeploymentStatus.Failed => NotificationEventKind.DeploymentFailed,
            DeploymentStatus.RolledBack => NotificationEventKind.DeploymentRolledBack,
            DeploymentStatus.Interrupted => NotificationEventKind.DeploymentInterrupted,
            _ => null,
        };
        if (kind is null) return;
        // Reporting must never fail what it reports: a bug here loses the message, not the outcome. (SQLite errors
        // still propagate: they would fail the outcome's own write in this transaction anyway.)
        try { EnqueueOutcome(tx, deploymentId, status, reason, rolledBackTo, kind.Value); }
        catch (Exception e) when (e is not SqliteException) { }
    }

    private static void EnqueueOutcome(SqliteConnection tx, long deploymentId, DeploymentStatus status, string? reason, string? rolledBackTo, NotificationEventKind kind)
    {
        var row = tx.Query("""
            SELECT d.project, COALESCE(d.commit_sha, d.requested_commit) AS sha, p.repository
            FROM deployments d JOIN projects p ON p.name = d.project WHERE d.id = $id
            """, r => (Project: r.Str("project")!, Sha: r.Str("sha"), Repo: r.Str("repository")), ("$id", deploymentId)).FirstOrDefault();
        if (row.Project is null) return;
        var why = status == DeploymentStatus.RolledBack && rolledBackTo is not null
            ? $"{reason}; rolled back to {rolledBackTo[..Math.Min(7, rolledBackTo.Length)]}" : reason;
        Enqueue(tx, new NotificationEvent(kind)
        {
            Project = row.Project, Commit = row.Sha, Repository = row.Repo, Reason = why, Subject = deploymentId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Command = $"cicdops logs {row.Project} --deployment {deploymentId}",
        });
    }
}
