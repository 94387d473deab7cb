using System.Text;
using CicdOps.Engine.Deploy;
using CicdOps.Engine.Model;
using CicdOps.Engine.State;
using CicdOps.Engine.Validation;

namespace CicdOps.Engine;

public sealed partial class CicdEngine
{
    /// <summary>Queues a deployment (or records it Skipped when pinned) and makes sure a runner will take it.</summary>
    public Deployment RequestDeployment(DeploymentRequest request)
    {
        var name = Names.ProjectName(request.Project);
        var commit = request.Commit is null ? null : Names.Commit(request.Commit);
        var (d, queued) = Enqueue(name, commit, request.Trigger, request.ForceInstall);
        Queued(queued);
        return d;
    }

    /// <summary>Writes the request to the project's queue in a transaction of its own; starts no runner (see <see cref="Queued"/>).</summary>
    internal (Deployment Deployment, QueuedDeployment Queued) Enqueue(string project, string? commit, DeploymentTrigger trigger, bool forceInstall) =>
        _ctx.Db.Write(c =>
        {
            using var s = Statements.Borrow(c);
            var q = DeploymentQueue.Enqueue(s, _ctx.Layout, project, commit, trigger, forceInstall);
            return (DeploymentStore.Get(c, q.Id), q);
        });

    /// <summary>After the transaction that queued <paramref name="q"/> committed: wake waiters, start a runner when none holds the lease.</summary>
    internal void Queued(QueuedDeployment q)
    {
        _ctx.Changes.Pulse();
        if (q.NeedsRunner) StartRunner(q.Project);
    }

    public async Task<Deployment> WaitForDeploymentAsync(long deploymentId, IProgress<DeploymentProgress>? progress, CancellationToken cancellationToken)
    {
        var id = deploymentId;
        DeploymentStatus? lastStatus = null;
        var stagesReported = 0;
        // A runner just started (maybe a fresh worker process) needs a moment to take the lease.
        var nextLivenessCheck = DateTime.UtcNow.AddSeconds(1.5);
        while (true)
        {
            var changed = progress is null ? _ctx.Changes.NextStatus : _ctx.Changes.Next;
            // Without progress to report, a change only matters once the deployment ended or was superseded: a status
            // read, not the whole deployment with its stages at every write the runner makes (that competed for the CPU).
            if (progress is null && _ctx.Db.Read(c => DeploymentStore.StatusOf(c, id)) is { } status
                && !status.IsFinished() && DateTime.UtcNow < nextLivenessCheck)
            {
                await Task.WhenAny(changed, Task.Delay(100, cancellationToken));
                cancellationToken.ThrowIfCancellationRequested();
                continue;
            }
            var d = GetDeployment(id);
            if (progress is not null)
            {
                // Every stage begun since the last look is reported, so fast stages are never lost between polls.
                for (; stagesReported < d.Stages.Count; stagesReported++)
                {
                    var s = d.Stages[stagesReported];
                    progress.Report(new DeploymentProgress(d.Id, d.Project, DeploymentStatus.Running, s.Stage, s.Rollback ? $"{s.Stage} (rollback)" : $"{s.Stage}"));
                }
                if (lastStatus != d.Status) progress.Report(new DeploymentProgress(d.Id, d.Project, d.Status, d.Stage, Describe(d)));
            }
            lastStatus = d.Status;
            if (d.Status == DeploymentStatus.Superseded && d.SupersededBy is { } next) { id = next; stagesReported = 0; continue; }
            if (d.IsFinished) return d;
            if (DateTime.UtcNow >= nextLivenessCheck)
            {
                // The runner may have died, or never started: recover and make sure one runs.
                nextLivenessCheck = DateTime.UtcNow.AddMilliseconds(500);
                if (!RunnerIsLive(d.Project))
                {
                    // Still queued with no runner: a worker that died already never took it.
                    if (d.Status == DeploymentStatus.Queued) ThrowIfWorkerFailed(d.Project);
                    RecoverInterrupted();
                    EnsureRunner(d.Project);
                }
            }
            await Task.WhenAny(changed, Task.Delay(100, cancellationToken));
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    public Deployment GetDeployment(long deploymentId) => _ctx.Db.Read(c => DeploymentStore.Get(c, deploymentId));

    public IReadOnlyList<Deployment> GetDeployments(string? project = null, int limit = 50)
    {
        if (project is not null) GetProject(project);
        if (limit < 1) throw new CicdException(CicdError.InvalidArgument, $"Invalid limit {limit}: use 1 or more.", limit);
        RecoverInterrupted();
        return _ctx.Db.Read(c => DeploymentStore.List(c, project, limit));
    }

    public Deployment GetLatestDeployment(string project) =>
        GetDeployments(project, 1).FirstOrDefault() ?? throw new CicdException(CicdError.DeploymentNotFound,
            $"Project '{project}' has no deployments yet.", project, $"Deploy it: Start-CicdDeployment -Name {project} / cicdops deploy {project}.");

    /// <summary>Commits recently deployed for a project, newest first (for completion of -Commit).</summary>
    public IReadOnlyList<string> GetRecentCommits(string project, int limit = 20) =>
        _ctx.Db.Read(c => DeploymentStore.RecentCommits(c, Names.ProjectName(project), limit));

    public (string Text, long NextOffset) ReadDeploymentLog(long deploymentId, long offset = 0) =>
        LogFile.Read(GetDeployment(deploymentId).LogPath, offset);

    /// <summary>The app's own output (run.sh and what it starts; masked when a log pump runs), from an offset.</summary>
    public (string Text, long NextOffset) ReadAppLog(string project, long offset = 0) =>
        LogFile.Read(_ctx.Layout.AppLog(GetProject(project).Name), offset);

    /// <summary>Cancels the waiting deployment, or stops the running one and its processes.</summary>
    public Deployment CancelDeployment(string project)
    {
        var name = GetProject(project).Name;
        RecoverInterrupted();
        var target = _ctx.Db.Write(c =>
        {
            if (DeploymentStore.FindByStatus(c, name, DeploymentStatus.Queued) is { } queued)
            {
                DeploymentStore.Finish(c, queued.Id, DeploymentStatus.Cancelled, "cancelled before it started");
                return queued.Id;
            }
            if (DeploymentStore.FindByStatus(c, name, DeploymentStatus.Running) is { } running)
            {
                DeploymentStore.RequestCancel(c, running.Id);
                return running.Id;
            }
            throw new CicdException(CicdError.NothingToCancel, $"Project '{name}' has no waiting or running deployment.", name);
        });
        _ctx.Changes.Pulse();
        return GetDeployment(target);
    }

    /// <summary>
    /// Cancels this deployment (a piped Deployment object), not whatever its project runs now: a deployment that
    /// already ended is an error naming its outcome.
    /// </summary>
    public Deployment CancelDeployment(long deploymentId)
    {
        RecoverInterrupted();
        var d = GetDeployment(deploymentId);
        var target = _ctx.Db.Write(c =>
        {
            var current = DeploymentStore.Get(c, d.Id);
            if (current.Status == DeploymentStatus.Queued)
            {
                DeploymentStore.Finish(c, current.Id, DeploymentStatus.Cancelled, "cancelled before it started");
                return current.Id;
            }
            if (current.Status == DeploymentStatus.Running)
            {
                DeploymentStore.RequestCancel(c, current.Id);
                return current.Id;
            }
            throw new CicdException(CicdError.NothingToCancel,
                $"Deployment {current.Id} of '{current.Project}' already ended ({current.Status}).", current.Id);
        });
        _ctx.Changes.Pulse();
        return GetDeployment(target);
    }

    private static string Describe(Deployment d) => d.Status switch
    {
        DeploymentStatus.Running => d.Stage is { } s ? $"{s}" : "starting",
        DeploymentStatus.Queued => "waiting for the deployment before it",
        _ => d.Reason is null ? d.Status.ToString() : $"{d.Status}: {d.Reason}",
    };
}
