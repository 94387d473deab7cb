using Microsoft.Data.Sqlite;
using CicdOps.Engine.Model;
using CicdOps.Engine.Processes;
using CicdOps.Engine.State;

namespace CicdOps.Engine.Deploy;

/// <summary>
/// Drains one project's queue while holding its lease, so that across every process on the machine at
/// most one deployment of a project runs at a time. The lease is renewed in the background; a cancel
/// request recorded by any process is noticed within a quarter second.
/// </summary>
internal sealed class QueueRunner
{
    private static readonly TimeSpan CancelPoll = TimeSpan.FromMilliseconds(250);
    private readonly EngineContext _ctx;
    private readonly string _project;
    private readonly string _owner = RunnerIdentity.NewOwner();

    public QueueRunner(EngineContext ctx, string project) { _ctx = ctx; _project = project; }

    /// <param name="stopTakingNew">Stops the runner after the deployment in hand; that one finishes (a graceful shutdown).</param>
    public async Task RunAsync(CancellationToken stopTakingNew)
    {
        if (stopTakingNew.IsCancellationRequested) return;
        // The lease and the first deployment in one transaction: a request waits for one write fewer before it runs.
        var first = _ctx.Db.Write(c => TryAcquire(c) ? Take(c) : ((Deployment?, ProjectStatus)?)null);
        if (first is not { } taken) return;
        _ctx.Changes.Pulse();
        try
        {
            var (next, previous) = taken;
            while (next is not null)
            {
                await RunOneAsync(next, previous);
                if (stopTakingNew.IsCancellationRequested) break;
                await SettleAsync(stopTakingNew);
                if (stopTakingNew.IsCancellationRequested) break;
                (next, previous) = TakeNext();
            }
        }
        finally
        {
            _ctx.Db.Write(c => LeaseStore.Release(c, _project, _owner));
            _ctx.Changes.Pulse();
        }
    }

    /// <summary>
    /// Waits while requests are still arriving: the waiting deployment starts once it is BurstSettle old (each newer
    /// request replaces it and restarts the wait), so the last commit of a burst is the one that runs.
    /// </summary>
    private async Task SettleAsync(CancellationToken stop)
    {
        var settle = _ctx.Options.BurstSettle;
        // A never-ending stream of requests must not starve the project: after this long the newest one runs.
        var giveUp = DateTimeOffset.UtcNow + 10 * settle;
        while (settle > TimeSpan.Zero && !stop.IsCancellationRequested && DateTimeOffset.UtcNow < giveUp)
        {
            var waiting = _ctx.Db.Read(c => DeploymentStore.FindByStatus(c, _project, DeploymentStatus.Queued));
            var age = waiting is null ? settle : DateTimeOffset.UtcNow - waiting.QueuedAt;
            if (age >= settle) return;
            try { await Task.Delay(settle - age, stop); } catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>Takes the lease when nobody live holds it, marking the dead holder's deployments Interrupted.</summary>
    private bool TryAcquire(SqliteConnection c)
    {
        var lease = LeaseStore.Get(c, _project);
        if (lease is not null && lease.Owner != _owner && lease.IsLive) return false;
        Recovery.InterruptDeadRunners(_ctx, c, _project);
        LeaseStore.Put(c, _project, _owner, DateTimeOffset.UtcNow + _ctx.Options.LeaseDuration);
        return true;
    }

    /// <summary>Marks the waiting deployment Running; when there is none, gives up the lease in the same transaction.</summary>
    /// <returns>The deployment, and the project's status before it (restored when the deployment changes nothing).</returns>
    private (Deployment?, ProjectStatus) TakeNext()
    {
        var next = _ctx.Db.Write(Take);
        _ctx.Changes.Pulse();
        return next;
    }

    private (Deployment?, ProjectStatus) Take(SqliteConnection c)
    {
        var queued = DeploymentStore.FindByStatus(c, _project, DeploymentStatus.Queued);
        if (queued is null) { LeaseStore.Release(c, _project, _owner); return (null, ProjectStatus.Registered); }
        var previous = ProjectStore.Get(c, _project).Status;
        DeploymentStore.MarkRunning(c, queued.Id, _owner);
        ProjectStore.Set(c, _project, "status", ProjectStatus.Deploying.ToString());
        return (DeploymentStore.Get(c, queued.Id), previous);
    }

    private async Task RunOneAsync(Deployment d, ProjectStatus previous)
    {
        using var cancel = new CancellationTokenSource(); // only a recorded cancel request stops a deployment
        using var watching = new CancellationTokenSource();
        var watcher = WatchAsync(d.Id, cancel, watching.Token);
        try
        {
            using var runner = new DeploymentRunner(_ctx, d, previous);
            await runner.RunAsync(cancel.Token);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A bug must not leave the deployment Running forever; record it and go on with the queue.
            _ctx.Db.Write(c => DeploymentStore.Finish(c, d.Id, DeploymentStatus.Failed, "internal error: " + e.Message));
        }
        finally
        {
            watching.Cancel();
            await watcher;
            _ctx.Changes.Pulse();
        }
    }

    /// <summary>Renews the lease and turns a recorded cancel request into a cancellation of the run.</summary>
    private async Task WatchAsync(long id, CancellationTokenSource cancel, CancellationToken done)
    {
        var renewEvery = _ctx.Options.LeaseDuration / 3;
        var lastRenew = DateTime.UtcNow;
        while (!done.IsCancellationRequested)
        {
            try { await Task.Delay(CancelPoll, done); } catch (OperationCanceledException) { return; }
            try
            {
                if (_ctx.Db.Read(c => DeploymentStore.IsCancelRequested(c, id))) cancel.Cancel();
                if (DateTime.UtcNow - lastRenew >= renewEvery)
                {
                    _ctx.Db.Write(c => LeaseStore.Renew(c, _project, _owner, DateTimeOffset.UtcNow + _ctx.Options.LeaseDuration));
                    lastRenew = DateTime.UtcNow;
                }
            }
            catch (Microsoft.Data.Sqlite.SqliteException) { /* busy for longer than the timeout: try again next tick */ }
        }
    }
}
