namespace CicdOps.Engine.Pipelines;

/// <summary>A condition that could not be evaluated: it threw, or ran past one of its limits.</summary>
public sealed class ConditionException(string stepName, string reason, Exception? inner = null)
    : Exception($"condition of step '{stepName}' failed: {reason}", inner)
{
    public string StepName { get; } = stepName;
    public string Reason { get; } = reason;
}
