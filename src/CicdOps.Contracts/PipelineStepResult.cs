namespace CicdOps;

/// <summary>How one step of a pipeline run ended.</summary>
public enum PipelineStepStatus
{
    /// <summary>Every command exited 0.</summary>
    Succeeded,
    /// <summary>A command exited non-zero, the condition threw or ran past a limit, or a template could not be rendered.</summary>
    Failed,
    /// <summary>The condition was false (or the step kind is not run by this version).</summary>
    Skipped,
    /// <summary>The step ran past its timeout (or the pipeline's) and was stopped.</summary>
    TimedOut,
    /// <summary>The run was cancelled while the step ran.</summary>
    Cancelled,
    /// <summary>An earlier step failed, timed out or was cancelled.</summary>
    NotRun,
}

/// <summary>
/// One step of a run: its status, the exit code of the last command it ran (null when none ran or it was stopped),
/// how long it took, why it did not succeed (one line), and its log file (null when it never started).
/// </summary>
public sealed record PipelineStepResult(int Index, string Name, PipelineStepStatus Status, int? ExitCode, TimeSpan Duration, string? Reason, string? LogPath);
