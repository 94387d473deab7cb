namespace CicdOps.Engine.Model;

/// <summary>Ask for a deployment of a project: the branch tip, or a given commit.</summary>
public sealed record DeploymentRequest
{
    public required string Project { get; init; }
    /// <summary>A full or abbreviated SHA; null deploys the branch tip.</summary>
    public string? Commit { get; init; }
    public bool ForceInstall { get; init; }
    public DeploymentTrigger Trigger { get; init; } = DeploymentTrigger.Manual;
}

/// <summary>Reported while a deployment is waited on: which deployment, which stage, what happened.</summary>
public sealed record DeploymentProgress(long DeploymentId, string Project, DeploymentStatus Status, DeploymentStage? Stage, string Message);
