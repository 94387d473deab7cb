namespace CicdOps;

/// <summary>The project after pinning, and the deployment queued to reach the pinned commit (null when it already runs).</summary>
public sealed record PinResult(Project Project, Deployment? Deployment);
