using CicdOps.Engine.Model;

namespace CicdOps.Engine;

/// <summary>
/// The one API every front end (cmdlets, CLI, listener) calls. Thread-safe: each call opens its own
/// database connection. Methods throw <see cref="CicdException"/> for anything a user can cause.
/// </summary>
public sealed partial class CicdEngine : IDisposable
{
    /// <summary>Opens (creating if needed) the data directory and its database, applying schema upgrades.</summary>
    public static CicdEngine Open(EngineOptions? options = null) => throw new NotImplementedException();

    public string DataPath => throw new NotImplementedException();
    public EngineOptions Options => throw new NotImplementedException();

    // ---- projects ----
    public Project RegisterProject(ProjectSpec spec) => throw new NotImplementedException();
    public Project GetProject(string name) => throw new NotImplementedException();
    public IReadOnlyList<Project> GetProjects() => throw new NotImplementedException();
    public Project UpdateProject(string name, ProjectUpdate update) => throw new NotImplementedException();
    /// <summary>Stops the project's app and removes the project and its history; the working tree stays.</summary>
    public Project UnregisterProject(string name) => throw new NotImplementedException();

    // ---- deployments ----
    /// <summary>Queues a deployment (or records it Skipped when pinned) and makes sure a runner will take it.</summary>
    public Deployment RequestDeployment(DeploymentRequest request) => throw new NotImplementedException();
    /// <summary>
    /// Waits until the deployment finishes, reporting stage changes. Cancelling <paramref name="cancellationToken"/>
    /// stops the wait only; the deployment goes on. A superseded deployment is followed to the one that replaced it.
    /// </summary>
    public Task<Deployment> WaitForDeploymentAsync(long deploymentId, IProgress<DeploymentProgress>? progress, CancellationToken cancellationToken)
        => throw new NotImplementedException();
    public Deployment GetDeployment(long deploymentId) => throw new NotImplementedException();
    /// <summary>Newest first.</summary>
    public IReadOnlyList<Deployment> GetDeployments(string? project = null, int limit = 50) => throw new NotImplementedException();
    /// <summary>The latest deployment of a project (throws DeploymentNotFound when it has none).</summary>
    public Deployment GetLatestDeployment(string project) => throw new NotImplementedException();
    /// <summary>Reads a deployment's log from <paramref name="offset"/> (bytes); returns the text and the new offset.</summary>
    public (string Text, long NextOffset) ReadDeploymentLog(long deploymentId, long offset = 0) => throw new NotImplementedException();
    /// <summary>Cancels the waiting deployment, or stops the running one and its processes.</summary>
    public Deployment CancelDeployment(string project) => throw new NotImplementedException();

    // ---- pin / rollback ----
    /// <summary>Pins the project to <paramref name="commit"/> (default: the current commit), deploying it when it is not current.</summary>
    public PinResult Pin(string project, string? commit) => throw new NotImplementedException();
    public Project Unpin(string project) => throw new NotImplementedException();
    /// <summary>Deploys the previous successful commit, or <paramref name="commit"/> (which must have succeeded before unless <paramref name="force"/>).</summary>
    public Deployment Rollback(string project, string? commit, bool pin, bool force) => throw new NotImplementedException();

    // ---- runners ----
    /// <summary>Drains a project's queue in this thread (the `cicdops worker` entry point). Returns when the queue is empty or another runner holds it.</summary>
    public void RunQueue(string project, CancellationToken cancellationToken) => throw new NotImplementedException();
    /// <summary>Marks deployments whose runner died as Interrupted; returns them.</summary>
    public IReadOnlyList<Deployment> RecoverInterrupted() => throw new NotImplementedException();

    public void Dispose() { }
}
