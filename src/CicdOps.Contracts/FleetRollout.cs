namespace CicdOps;

/// <summary>
/// One action on a project across the fleet (deploy, pin, unpin, roll back), as recorded in the registry: who asked,
/// how it was split into waves, and how it ended. Its <see cref="Targets"/> are the nodes that host the project.
/// </summary>
public sealed record FleetRollout
{
    /// <summary>Short unique id (12 hex), what `cicdops fleet rollout ID` and Get-CicdFleetRollout -Id take.</summary>
    public required string Id { get; init; }
    public required string Project { get; init; }
    public FleetAction Action { get; init; }
    /// <summary>The commit asked for (full or abbreviated), or null: the branch tip (deploy), the current commit (pin), the previous good one (rollback).</summary>
    public string? Commit { get; init; }
    /// <summary>Who asked: user@host of the session that started it.</summary>
    public required string RequestedBy { get; init; }
    public DateTimeOffset RequestedAt { get; init; }
    /// <summary>True: a canary node first, then batches of <see cref="WaveSize"/> % of the nodes; false: every node at once.</summary>
    public bool Waves { get; init; }
    /// <summary>Percent of the nodes per wave after the canary (1–100).</summary>
    public int WaveSize { get; init; } = 25;
    public bool RollbackOnFailure { get; init; }
    /// <summary>How long a wave waits for its nodes before they count as failed (timed out).</summary>
    public TimeSpan WaveTimeout { get; init; }
    public FleetRolloutStatus Status { get; init; }
    /// <summary>Why it stopped (the first failed node and its reason), or null when it succeeded.</summary>
    public string? Reason { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    /// <summary>The session driving it (null for a rollout an older CicdOps started): where it runs and when it last said it was alive.</summary>
    public FleetDriverProcess? Driver { get; init; }
    /// <summary>Each node's part, ordered by wave then node name; reverts (rollback on failure) follow.</summary>
    public IReadOnlyList<FleetRolloutTarget> Targets { get; init; } = Array.Empty<FleetRolloutTarget>();

    /// <summary>How many waves (the canary is wave 1).</summary>
    public int WaveCount => Targets.Where(t => t.Kind == FleetTargetKind.Action).Select(t => t.Wave).DefaultIfEmpty(0).Max();
}

/// <summary>
/// The process driving a rollout: the node it runs on, its pid (with the process's start time, so a reused pid is not taken
/// for it), and its heartbeat. A rollout whose driver is gone is ended as <see cref="FleetRolloutStatus.Abandoned"/>.
/// </summary>
public sealed record FleetDriverProcess
{
    public required string NodeId { get; init; }
    /// <summary>The node's name.</summary>
    public required string Node { get; init; }
    public int Pid { get; init; }
    /// <summary>The process's start time in clock ticks since boot (/proc/PID/stat field 22).</summary>
    public long ProcessStartTime { get; init; }
    /// <summary>When the driver last wrote that it is alive (every few seconds while it runs).</summary>
    public DateTimeOffset SeenAt { get; init; }

    public override string ToString() => $"{Node}/{Pid}";
}

/// <summary>One node's part of a rollout: what it was asked, what it served before, and its outcome.</summary>
public sealed record FleetRolloutTarget
{
    public required string RolloutId { get; init; }
    public required string NodeId { get; init; }
    public required string Node { get; init; }
    public required string Project { get; init; }
    /// <summary>Action: the rollout's own action; Revert: putting back what the node served before (rollback on failure).</summary>
    public FleetTargetKind Kind { get; init; }
    public FleetAction Action { get; init; }
    /// <summary>The commit this node is asked for (later waves get the commit the canary deployed when none was given).</summary>
    public string? Commit { get; init; }
    /// <summary>1 = the canary (or every node, without waves).</summary>
    public int Wave { get; init; }
    public FleetTargetStatus Status { get; init; }
    /// <summary>The commit the node served when it took the request: what a revert puts back.</summary>
    public string? PreviousCommit { get; init; }
    /// <summary>The commit serving when it finished.</summary>
    public string? ResultCommit { get; init; }
    /// <summary>The deployment it ran, by its id on that node (null for unpin, or when none was needed).</summary>
    public long? DeploymentId { get; init; }
    public string? Reason { get; init; }
    public DateTimeOffset? RequestedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }

    public bool IsFinished => Status is FleetTargetStatus.Succeeded or FleetTargetStatus.Failed or FleetTargetStatus.TimedOut or FleetTargetStatus.Skipped;
}

public enum FleetAction { Deploy, Pin, Unpin, Rollback }

public enum FleetTargetKind { Action, Revert }

public enum FleetRolloutStatus
{
    Running,
    Succeeded,
    /// <summary>A wave failed; the waves after it were never asked.</summary>
    Failed,
    /// <summary>A wave failed and, with rollback on failure, every node that took the rollout serves what it served before again.</summary>
    RolledBack,
    /// <summary>Stopped by the session driving it (Ctrl+C) before it ended.</summary>
    Cancelled,
    /// <summary>
    /// The session driving it is gone (killed, crashed, or silent past the heartbeat bound), found by the next reader:
    /// `fleet rollouts`, a listener, or another driver. Requests nodes already took run on; the rest are skipped.
    /// </summary>
    Abandoned,
}

public enum FleetTargetStatus
{
    /// <summary>In a later wave, not asked yet.</summary>
    Waiting,
    /// <summary>Written to the registry for the node's listener to take.</summary>
    Requested,
    /// <summary>The node's listener took it and runs it through its engine.</summary>
    Running,
    /// <summary>Deployment Succeeded and the project is healthy (or the pin/unpin is done).</summary>
    Succeeded,
    Failed,
    /// <summary>The node did not finish within the wave's timeout (down, stale, or still deploying).</summary>
    TimedOut,
    /// <summary>Never asked: an earlier wave failed or the rollout was cancelled.</summary>
    Skipped,
}
