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
}

/// <summary>How a run ended, with each step's result in file order.</summary>
internal sealed record PipelineRunResult(PipelineStepStatus Status, IReadOnlyList<PipelineStepResult> Steps, TimeSpan Duration);
