using CicdOps.Engine.Deploy;
using CicdOps.Engine.Model;
using CicdOps.Engine.Pipelines;
using CicdOps.Engine.State;
using CicdOps.Engine.Validation;

namespace CicdOps.Engine.Listener;

/// <summary>
/// What the listener needs from the engine: the registered projects, and a way to queue a deployment inside
/// the delivery's own write transaction, so recording a delivery and queueing its deployments is one commit
/// (shared with the other deliveries of the same group commit). The engine's is <see cref="EngineDeployTarget"/>.
/// </summary>
internal interface IDeployTarget
{
    IReadOnlyList<Project> GetProjects();

    /// <summary>
    /// Queues a webhook deployment of <paramref name="commit"/>, or records it Skipped when the project is pinned,
    /// in the caller's transaction <paramref name="tx"/>. Must not wait for it to run. Throws
    /// <see cref="CicdException"/> (before writing anything) when the project no longer exists.
    /// </summary>
    QueuedDeployment Queue(Statements tx, string project, string commit);

    /// <summary>Called once the transaction that queued <paramref name="queued"/> has committed.</summary>
    void Committed(QueuedDeployment queued);

    /// <summary>
    /// Queues a pipeline run for a delivery's event in the caller's transaction <paramref name="tx"/>; returns its id, or
    /// null when this target runs no pipelines.
    /// </summary>
    string? QueuePipeline(Statements tx, string project, PipelineTrigger trigger) => null;

    /// <summary>Called once a transaction that queued pipeline runs has committed.</summary>
    void PipelinesQueued() { }
}

/// <summary>
/// The engine itself as the listener's deploy target. The project list is read at most once per
/// <see cref="RefreshInterval"/>: every delivery needs it for matching, and reading every project row per request
/// dominated the cost with many projects. A registration or change reaches a running listener within that time;
/// pins are read in the queueing transaction, so they apply at once.
/// </summary>
internal sealed class EngineDeployTarget(CicdEngine engine, TimeSpan refresh) : IDeployTarget
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(1);
    private readonly TimedSnapshot<IReadOnlyList<Project>> _projects = new(engine.GetProjects, refresh);

    public EngineDeployTarget(CicdEngine engine) : this(engine, RefreshInterval) { }

    public IReadOnlyList<Project> GetProjects() => _projects.Get();

    public QueuedDeployment Queue(Statements tx, string project, string commit) =>
        DeploymentQueue.Enqueue(tx, engine.Context.Layout, Names.ProjectName(project), Names.Commit(commit), DeploymentTrigger.Webhook, forceInstall: false);

    public void Committed(QueuedDeployment queued) => engine.Queued(queued);

    public string? QueuePipeline(Statements tx, string project, PipelineTrigger trigger) =>
        PipelineRuns.Queue(tx.Connection, engine.Context.Layout, Names.ProjectName(project), trigger);

    public void PipelinesQueued() => engine.Context.Pipelines.Wake();
}
