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

/// <summary>
/// The engine itself as the listener's deploy target. The project list is read at most once per
/// <see cref="RefreshInterval"/>: every delivery needs it for matching, and reading every project row per request
/// dominated the cost with many projects. A registration or change reaches a running listener within that time;
/// pins are checked by the engine when the deployment is requested, so they apply at once.
/// </summary>
public sealed class EngineDeployTarget(CicdEngine engine) : IDeployTarget
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(1);
    private Snapshot? _cache;

    public IReadOnlyList<Project> GetProjects()
    {
        var cached = Volatile.Read(ref _cache);
        var now = Environment.TickCount64;
        if (cached is not null && now - cached.ReadAt < (long)RefreshInterval.TotalMilliseconds) return cached.Projects;
        var fresh = new Snapshot(engine.GetProjects(), now);
        Volatile.Write(ref _cache, fresh);
        return fresh.Projects;
    }

    private sealed record Snapshot(IReadOnlyList<Project> Projects, long ReadAt);

    public Deployment RequestDeployment(DeploymentRequest request) => engine.RequestDeployment(request);
}
