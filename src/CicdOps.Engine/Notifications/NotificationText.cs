using System.Globalization;
using System.Text;

namespace CicdOps.Engine.Notifications;

/// <summary>
/// The words of a message, shared by every channel: a title (what, where) and lines for where, why and how to look.
/// Chat formats and email wrap these; none invents its own wording.
/// </summary>
internal static class NotificationText
{
    public static string Describe(NotificationEventKind kind) => kind switch
    {
        NotificationEventKind.DeploymentSucceeded => "deployment succeeded",
        NotificationEventKind.DeploymentFailed => "deployment failed",
        NotificationEventKind.DeploymentRolledBack => "deployment rolled back",
        NotificationEventKind.DeploymentInterrupted => "deployment interrupted",
        NotificationEventKind.PipelinePassed => "pipeline passed",
        NotificationEventKind.PipelineFailed => "pipeline failed",
        NotificationEventKind.WatchdogUnhealthy => "app unhealthy",
        NotificationEventKind.WatchdogRecovered => "app recovered",
        NotificationEventKind.WatchdogGaveUp => "watchdog gave up restarting the app",
        NotificationEventKind.ProjectPinned => "project pinned",
        NotificationEventKind.ProjectUnpinned => "project unpinned",
        NotificationEventKind.WebhookSignatureRejected => "webhook signature rejected",
        NotificationEventKind.ListenerStarted => "listener started",
        NotificationEventKind.ListenerStopped => "listener stopped",
        NotificationEventKind.Test => "test message",
        _ => kind.ToString(),
    };

    /// <summary>Good news, bad news or neither (chat colours and icons).</summary>
    public static int Severity(NotificationEventKind kind) => kind switch
    {
        NotificationEventKind.DeploymentSucceeded or NotificationEventKind.PipelinePassed or NotificationEventKind.WatchdogRecovered => 0,
        NotificationEventKind.DeploymentFailed or NotificationEventKind.DeploymentInterrupted or NotificationEventKind.PipelineFailed
            or NotificationEventKind.WatchdogUnhealthy or NotificationEventKind.WatchdogGaveUp or NotificationEventKind.WebhookSignatureRejected
            or NotificationEventKind.DeploymentRolledBack => 2,
        _ => 1,
    };

    public static string DefaultCommand(NotificationEventKind kind, string? project) => kind switch
    {
        NotificationEventKind.DeploymentSucceeded or NotificationEventKind.DeploymentFailed or NotificationEventKind.DeploymentRolledBack
            or NotificationEventKind.DeploymentInterrupted => $"cicdops deployments {project}".TrimEnd(),
        NotificationEventKind.PipelinePassed or NotificationEventKind.PipelineFailed => $"cicdops pipeline runs {project}".TrimEnd(),
        NotificationEventKind.WebhookSignatureRejected => "cicdops deliveries unverified",
        NotificationEventKind.ListenerStarted or NotificationEventKind.ListenerStopped => "cicdops service status",
        NotificationEventKind.Test => "cicdops notify list",
        _ => project is null ? "cicdops project list" : $"cicdops project show {project}",
    };

    /// <summary>"shop: deployment failed on web-1", or for a summary "shop: 12 more × deployment failed on web-1".</summary>
    public static string Title(NotificationMessage m)
    {
        var what = Describe(m.Kind);
        if (m.IsSummary) what = $"{m.Repeats} more × {what}";
        else if (m.Count > 1) what = $"{what} ({m.Count} times)";
        return (m.Project is null ? "" : m.Project + ": ") + what + " on " + m.Node;
    }

    /// <summary>The body lines: where, why, how to look (plain text, no markup).</summary>
    public static IReadOnlyList<string> Lines(NotificationMessage m)
    {
        var lines = new List<string>();
        if (m.IsSummary)
            lines.Add($"{m.Repeats} more since {Time(m.RepeatsSince ?? m.OccurredAt)} were held back (minimum interval); the latest:");
        var where = new List<string> { "node " + m.Node };
        if (m.Project is not null) where.Add("project " + m.Project);
        if (m.Subject is not null) where.Add(SubjectLabel(m.Kind) + " " + m.Subject);
        if (m.Commit is not null) where.Add("commit " + m.ShortCommit + (m.CommitUrl is null ? "" : $" ({m.CommitUrl})"));
        lines.Add("Where: " + string.Join(", ", where));
        if (!string.IsNullOrWhiteSpace(m.Reason)) lines.Add("Why: " + m.Reason);
        lines.Add("When: " + Time(m.OccurredAt));
        lines.Add("Look: " + m.Command);
        return lines;
    }

    public static string PlainText(NotificationMessage m)
    {
        var b = new StringBuilder(Title(m)).Append('\n');
        foreach (var l in Lines(m)) b.Append(l).Append('\n');
        return b.ToString();
    }

    private static string SubjectLabel(NotificationEventKind kind) => kind switch
    {
        NotificationEventKind.PipelinePassed or NotificationEventKind.PipelineFailed => "run",
        NotificationEventKind.DeploymentSucceeded or NotificationEventKind.DeploymentFailed or NotificationEventKind.DeploymentRolledBack
            or NotificationEventKind.DeploymentInterrupted => "deployment",
        _ => "ref",
    };

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
}
