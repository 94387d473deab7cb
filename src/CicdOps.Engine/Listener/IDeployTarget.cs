using CicdOps.Engine.Model;

namespace CicdOps.Engine.Listener;

/// <summary>
/// What the listener needs from the engine: the registered projects and a way to queue a deployment.
/// CicdEngine has both methods; adapt it with <c>new EngineDeployTarget(engine)</c>.
/// </summary>
public interface IDeployTarget
{
    IReadOnlyList<Project> GetProjects();

    /// <summary>Queues a deployment, or records it Skipped when the project is pinned. Must not wait for it to run.</summary>
    Deployment RequestDeployment(DeploymentRequest request);
}

/// <summary>The engine itself as the listener's deploy target.</summary>
public sealed class EngineDeployTarget(CicdEngine engine) : IDeployTarget
{
    public IReadOnlyList<Project> GetProjects() => engine.GetProjects();
    public Deployment RequestDeployment(DeploymentRequest request) => engine.RequestDeployment(request);
}
