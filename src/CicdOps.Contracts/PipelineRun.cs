namespace CicdOps;

/// <summary>How a pipeline run ended as a whole.</summary>
/// <summary>How a pipeline run ended as a whole, or where it is: Queued (waiting for a free runner), Running.</summary>
public enum PipelineRunStatus { Succeeded, Failed, TimedOut, Cancelled, Running, Queued, Superseded }

/// <summary>
/// One pipeline run of a project for one commit: its status, why it did not succeed (one line: the failing step
/// and its reason, or a problem with the pipeline file), each step's result, and where the step logs are.
/// </summary>
public sealed record PipelineRun(
    string RunId,
    string Project,
    string Commit,
    string Event,
    PipelineRunStatus Status,
    string? Reason,
    TimeSpan Duration,
    IReadOnlyList<PipelineStepResult> Steps,
    string LogDirectory)
{
    /// <summary>When the run started (null only for a run made before it was recorded).</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>False while the run is Queued or Running.</summary>
    public bool IsFinished => Status is not (PipelineRunStatus.Running or PipelineRunStatus.Queued);
}
