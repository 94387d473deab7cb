using CicdOps.Engine.Deploy;
using CicdOps.Engine.Model;
using CicdOps.Engine.Processes;
using CicdOps.Engine.State;
using CicdOps.Engine.Validation;

namespace CicdOps.Engine;

public sealed partial class CicdEngine
{
    /// <summary>Drains a project's queue in this thread (the `cicdops worker` entry point). Returns when the queue is empty or another runner holds it.</summary>
    public void RunQueue(string project, CancellationToken cancellationToken) =>
        new QueueRunner(_ctx, Names.ProjectName(project)).RunAsync(cancellationToken).GetAwaiter().GetResult();

    /// <summary>Marks deployments whose runner died as Interrupted; returns them.</summary>
    public IReadOnlyList<Deployment> RecoverInterrupted()
    {
        var ids = _ctx.Db.Read(c => DeploymentStore.AllWithStatus(c, DeploymentStatus.Running)).Count == 0
            ? new List<long>()
            : _ctx.Db.Write(c => Recovery.InterruptDeadRunners(c, null));
        if (ids.Count > 0) _ctx.Changes.Pulse();
        return ids.Select(GetDeployment).ToList();
    }

    private bool RunnerIsLive(string project) => _ctx.Db.Read(c => LeaseStore.Get(c, project))?.IsLive == true;

    /// <summary>
    /// Starts a runner for the project unless a live one holds its lease: a detached worker process when the
    /// front end gave a worker command (so the deployment outlives it), otherwise a background task here.
    /// Two runners racing is harmless: the lease lets one through and the other returns.
    /// </summary>
    private void EnsureRunner(string project)
    {
        if (!RunnerIsLive(project)) StartRunner(project);
    }

    private void StartRunner(string project)
    {
        if (_ctx.Options.WorkerCommand is { Count: > 0 } command)
        {
            Directory.CreateDirectory(_ctx.Layout.ProjectLogs(project));
            var argv = command.Append(project).ToList();
            // Kept (not disposed at once) so a waiter can report a worker that dies before it takes the queue.
            _workers.Started(project, AppLauncher.Start(new LaunchSpec(argv, null), DataPath, _ctx.Layout.WorkerLog(project)));
            return;
        }
        var run = Task.Run(() => new QueueRunner(_ctx, project).RunAsync(_stopTakingNew.Token));
        lock (_runners) { _runners.RemoveAll(t => t.IsCompleted); _runners.Add(run); }
    }

    private readonly WorkerProcesses _workers = new();

    /// <summary>Throws when the worker this engine started for the project died before running its queue.</summary>
    private void ThrowIfWorkerFailed(string project)
    {
        if (_workers.Failure(project, _ctx.Layout.WorkerLog(project)) is not { } reason) return;
        _workers.Forget(project); // the next request tries a fresh worker
        throw new CicdException(CicdError.WorkerFailed, reason, project,
            "Check that the cicdops executable runs on this machine (reinstall the module or the CLI), then deploy again.");
    }

    private readonly CancellationTokenSource _stopTakingNew = new();
    private readonly List<Task> _runners = new();

    /// <summary>
    /// Graceful stop for a long-running host (the listener): in-process runners take no new deployment,
    /// and the ones running get up to <paramref name="grace"/> to finish. Returns true when all finished;
    /// what did not is marked Interrupted and redeployed by <see cref="RecoverForService"/> at the next start.
    /// </summary>
    public async Task<bool> ShutdownRunnersAsync(TimeSpan grace)
    {
        _stopTakingNew.Cancel();
        Task[] running;
        lock (_runners) running = _runners.Where(t => !t.IsCompleted).ToArray();
        var all = Task.WhenAll(running);
        return await Task.WhenAny(all, Task.Delay(grace)) == all;
    }

    /// <summary>
    /// What a service does when it starts: deployments left Running by a dead process are marked
    /// Interrupted and their projects redeployed (same commit), and waiting deployments get a runner.
    /// Returns the recovery deployments it queued.
    /// </summary>
    public IReadOnlyList<Deployment> RecoverForService()
    {
        RecoverInterrupted();
        var queued = new List<Deployment>();
        foreach (var p in GetProjects())
        {
            var latest = _ctx.Db.Read(c => DeploymentStore.List(c, p.Name, 1)).FirstOrDefault();
            if (latest?.Status == DeploymentStatus.Interrupted)
                queued.Add(RequestDeployment(new DeploymentRequest
                {
                    Project = p.Name, Commit = latest.Commit ?? latest.RequestedCommit, Trigger = DeploymentTrigger.Recovery,
                }));
            else if (latest?.Status == DeploymentStatus.Queued)
                EnsureRunner(p.Name);
        }
        return queued;
    }
}
