namespace CicdOps;

/// <summary>What a notification reports. Channel filters name these in kebab case (deployment-failed, ...).</summary>
public enum NotificationEventKind
{
    DeploymentSucceeded,
    DeploymentFailed,
    DeploymentRolledBack,
    DeploymentInterrupted,
    PipelinePassed,
    PipelineFailed,
    WatchdogUnhealthy,
    WatchdogRecovered,
    WatchdogGaveUp,
    ProjectPinned,
    ProjectUnpinned,
    WebhookSignatureRejected,
    ListenerStarted,
    ListenerStopped,
    /// <summary>A test message (`cicdops notify test`); never stored in the outbox.</summary>
    Test,
}

/// <summary>Where a notification channel delivers.</summary>
public enum NotificationChannelType { Webhook, Slack, Discord, Teams, Email }

/// <summary>How email reaches the SMTP server: STARTTLS after connecting, TLS from the first byte, or in clear (loopback only).</summary>
public enum SmtpSecurity { StartTls, Tls, None }

/// <summary>A notification channel as shown: never its URL's secret parts, tokens or passwords.</summary>
public sealed record NotificationChannel
{
    public required string Name { get; init; }
    public required NotificationChannelType Type { get; init; }
    /// <summary>The target with its secret parts masked: scheme and host only for chat URLs (the path is the token).</summary>
    public required string Target { get; init; }
    /// <summary>The events it receives; empty means all.</summary>
    public required IReadOnlyList<NotificationEventKind> Events { get; init; }
    /// <summary>The projects it receives events of; empty means all (and the events of no project).</summary>
    public required IReadOnlyList<string> Projects { get; init; }
    /// <summary>Repeats of one event on one project within this interval are folded into one summary.</summary>
    public required TimeSpan MinInterval { get; init; }
    /// <summary>Email only: sender and recipients.</summary>
    public string? From { get; init; }
    public IReadOnlyList<string> To { get; init; } = [];
    public string? SmtpUser { get; init; }
    public SmtpSecurity? SmtpSecurity { get; init; }
    /// <summary>Since when deliveries keep failing (null when the last one succeeded).</summary>
    public DateTimeOffset? FailingSince { get; init; }
    public string? LastError { get; init; }
    public int Pending { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>What happened to one notification for one channel.</summary>
public enum NotificationDeliveryStatus { Pending, Sent, Suppressed, GaveUp }

/// <summary>One notification as delivered (or not yet) to one channel: `cicdops notify history`.</summary>
public sealed record NotificationDelivery
{
    public required long Id { get; init; }
    public required string Channel { get; init; }
    public required NotificationEventKind Event { get; init; }
    public string? Project { get; init; }
    public required NotificationDeliveryStatus Status { get; init; }
    /// <summary>Set on a summary: how many repeats it stands for.</summary>
    public int Repeats { get; init; }
    public required string Text { get; init; }
    public required int Attempts { get; init; }
    public string? LastError { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? SentAt { get; init; }
    public DateTimeOffset? NextAttemptAt { get; init; }
}

/// <summary>The answer of a channel to a test message.</summary>
public sealed record NotificationTestResult(string Channel, bool Success, string Answer, TimeSpan Duration);
