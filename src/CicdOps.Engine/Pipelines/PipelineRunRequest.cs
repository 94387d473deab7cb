using CicdOps.Engine.Processes;
using CicdOps.Engine.Sandbox;

namespace CicdOps.Engine.Pipelines;

/// <summary>
/// Everything one run needs. <see cref="PlanLaunch"/> turns a step's variables into how to start its commands (the
/// project's account, and a clean environment of those variables plus the project's secrets): the sandbox's
/// PlanLaunch closed over the account and secrets. <see cref="Secrets"/> are only for masking the logs and for
/// `env` in conditions and templates.
/// </summary>
internal sealed record PipelineRunRequest(
    PipelineDefinition Pipeline,
    PipelineContext Context,
    string Workspace,
    string LogDirectory,
    Func<IReadOnlyDictionary<string, string>, LaunchPlan> PlanLaunch,
    IReadOnlyDictionary<string, string> Secrets)
{
    public ConditionLimits ConditionLimits { get; init; } = ConditionLimits.Default;

    /// <summary>The tier's limits: memory, CPU and processes through <see cref="Tracker"/>, and the run's wall-clock limit.</summary>
    public RunnerTier Tier { get; init; } = RunnerTiers.Defaults[RunnerTiers.Default];
    public string TierName { get; init; } = RunnerTiers.Default;

    /// <summary>
    /// Where the run's processes are kept (the engine's cgroup tracker): every command joins <see cref="Unit"/> with
    /// the tier's limits, and whatever is left in it after a command, a timeout or a cancel is killed. Null: process groups only.
    /// </summary>
    public IAppTracker? Tracker { get; init; }
    public string? Unit { get; init; }

    /// <summary>Where `cache-files` and `store-files` steps keep their archives (null: those steps are Skipped).</summary>
    public RunFiles? Files { get; init; }
}

/// <summary>How a run ended, with each step's result in file order.</summary>
internal sealed record PipelineRunResult(PipelineStepStatus Status, IReadOnlyList<PipelineStepResult> Steps, TimeSpan Duration);
