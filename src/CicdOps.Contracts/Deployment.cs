namespace CicdOps;

/// <summary>One run (or request for a run) of a project's deploy pipeline.</summary>
public sealed record Deployment
{
    public required long Id { get; init; }
    public required string Project { get; init; }
    /// <summary>The SHA deployed (resolved); null until the sync stage resolves the branch tip.</summary>
    public string? Commit { get; init; }
    /// <summary>The SHA the request asked for, if any (null: the branch tip).</summary>
    public string? RequestedCommit { get; init; }
    public required string Branch { get; init; }
    public DeploymentTrigger Trigger { get; init; }
    public DeploymentStatus Status { get; init; }
    /// <summary>The stage running now, or the last one reached.</summary>
    public DeploymentStage? Stage { get; init; }
    public string? Reason { get; init; }
    public bool ForceInstall { get; init; }
    /// <summary>The commit the automatic rollback restored, when there was one.</summary>
    public string? RolledBackTo { get; init; }
    public long? SupersededBy { get; init; }
    public DateTimeOffset QueuedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public required string LogPath { get; init; }
    public IReadOnlyList<StageResult> Stages { get; init; } = Array.Empty<StageResult>();

    public TimeSpan? Duration => StartedAt is { } s ? (FinishedAt ?? DateTimeOffset.UtcNow) - s : null;
    public bool IsFinished => Status.IsFinished();
}

/// <summary>One stage of a deployment: when it ran, how it ended.</summary>
public sealed record StageResult
{
    public required DeploymentStage Stage { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public int? ExitCode { get; init; }
    public StageOutcome Outcome { get; init; }
    public string? Detail { get; init; }
    /// <summary>True for stages run as part of the automatic rollback.</summary>
    public bool Rollback { get; init; }
}

public enum StageOutcome { Running, Succeeded, Failed, Skipped, Cancelled }

/// <summary>Switch: with a proxy only, pointing it at the healthy new release and draining the old one.</summary>
public enum DeploymentStage { Sync, Install, Stop, Run, Health, Switch }

public enum DeploymentTrigger
{
    Manual, Webhook, Pin, Rollback, Recovery,
    /// <summary>The listener's watchdog restarting the serving commit of an app that died or turned unhealthy (no git, no rollback).</summary>
    Watchdog,
}

public enum DeploymentStatus
{
    Queued,
    Running,
    Succeeded,
    /// <summary>The new commit was unhealthy; the last good commit serves again.</summary>
    RolledBack,
    Failed,
    /// <summary>A newer request replaced this one while it waited.</summary>
    Superseded,
    /// <summary>
    /// Not run: the project is pinned, or (reason "stale: …") a webhook's commit is not the branch tip after fetch
    /// or is already behind what is deployed (a replayed or late delivery).
    /// </summary>
    Skipped,
    Cancelled,
    /// <summary>The process running it died; detected afterwards.</summary>
    Interrupted,
}

public static class DeploymentStatusExtensions
{
    public static bool IsFinished(this DeploymentStatus s) => s is not (DeploymentStatus.Queued or DeploymentStatus.Running);

    /// <summary>Did the request end with its project serving what was asked? (CLI exit code 0.)</summary>
    public static bool IsSuccess(this DeploymentStatus s) => s is DeploymentStatus.Succeeded;
}
