using CicdOps.Engine.Model;
using CicdOps.Engine.Fleet;

namespace CicdOps.Fleet.Rollouts;

/// <summary>
/// A node's side of fleet actions, run by its listener beside the sync loop: takes the requests addressed to this node
/// (woken by the registry's notifications, and every interval in case one was missed while the registry was away), runs
/// each through the local engine — the same deploy, pin, unpin and rollback as a local command — and reports the
/// outcome. A deploy counts as done only when the deployment Succeeded and the project is Healthy. Never throws out of
/// <see cref="RunAsync"/>: an outage is logged once and waited out, like the sync loop's.
/// </summary>
public sealed class FleetRequestRunner
{
    private readonly CicdEngine _engine;
    private readonly IFleetRolloutStore _store;
    private readonly NodeIdentity _node;
    private readonly TimeSpan _interval;
    private readonly Action<string> _log;
    private readonly HashSet<string> _inFlight = new(StringComparer.Ordinal);
    private readonly List<Task> _running = new();
    private bool _failing;
    private DateTime _nextSweep;

    public FleetRequestRunner(CicdEngine engine, IFleetRolloutStore store, NodeIdentity node, TimeSpan interval, Action<string>? log = null)
    {
        _engine = engine; _store = store; _node = node; _interval = interval;
        _log = log ?? (_ => { });
    }

    public async Task RunAsync(CancellationToken ct)
    {
        var wake = new SemaphoreSlim(0);
        var watcher = Task.Run(() => WatchAsync(wake, ct), CancellationToken.None);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await TakePendingAsync(ct);
                await wake.WaitAsync(_interval, ct);
                while (wake.CurrentCount > 0) await wake.WaitAsync(ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        await watcher;
        Task[] running;
        lock (_running) running = _running.ToArray();
        // Stopping the listener stops waiting, not the deployments (their runner is the engine's).
        await Task.WhenAll(running);
    }

    /// <summary>Reads the requests for this node once and starts each it can claim; false when the registry cannot be read.</summary>
    public async Task<bool> TakePendingAsync(CancellationToken ct)
    {
        IReadOnlyList<FleetRolloutTarget> pending;
        try
        {
            pending = await _store.PendingRequestsAsync(_node.Id, ct);
            if (_failing) _log("fleet: reading fleet requests again");
            _failing = false;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            if (!_failing) _log($"fleet: cannot read fleet requests ({e.Message}); will retry every {_interval.TotalSeconds:0.#} s");
            _failing = true;
            return false;
        }
        // A sweep that fails (the registry just went away) is tried again at the next interval.
        try { await EndAbandonedAsync(ct); }
        catch (CicdException) { }
        foreach (var t in pending)
        {
            var key = $"{t.RolloutId}/{t.Kind}";
            lock (_inFlight) if (!_inFlight.Add(key)) continue;
            var task = Task.Run(async () =>
            {
                try { await ExecuteAsync(t, ct); }
                catch (Exception e) when (e is not OperationCanceledException) { _log($"fleet: request {t.RolloutId} failed: {e.Message}"); }
                catch (OperationCanceledException) { }
                finally { lock (_inFlight) _inFlight.Remove(key); }
            }, CancellationToken.None);
            lock (_running)
            {
                _running.RemoveAll(x => x.IsCompleted);
                _running.Add(task);
            }
        }
        return true;
    }

    /// <summary>Every few seconds: ends rollouts whose driver died, so they do not stay Running when nobody lists them.</summary>
    private async Task EndAbandonedAsync(CancellationToken ct)
    {
        if (DateTime.UtcNow < _nextSweep) return;
        _nextSweep = DateTime.UtcNow + AbandonedRollouts.HeartbeatInterval;
        foreach (var (id, reason) in await AbandonedRollouts.EndAsync(_store, _node.Id, ct))
            _log($"fleet: rollout {id} abandoned: {reason}");
    }

    private async Task WatchAsync(SemaphoreSlim wake, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await foreach (var _ in _store.WatchRequestsAsync(_node.Id, ct)) wake.Release();
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            // An outage ends the feed: the timer keeps reading pending requests; listen again after an interval.
            catch (Exception) { }
            try { await Task.Delay(_interval, ct); } catch (OperationCanceledException) { return; }
        }
    }

    private async Task ExecuteAsync(FleetRolloutTarget t, CancellationToken ct)
    {
        Project? project = null;
        try { project = _engine.GetProject(t.Project); }
        catch (CicdException e) when (e.Error == CicdError.ProjectNotFound) { }
        if (!await _store.ClaimAsync(t, project?.CurrentCommit, ct)) return;
        var what = t.Kind == FleetTargetKind.Revert ? $"revert of {t.Project} to {Short(t.Commit)}" : $"{t.Action.ToString().ToLowerInvariant()} {t.Project}"
            + (t.Commit is { } c ? $" at {Short(c)}" : "");
        _log($"fleet: {what} (rollout {t.RolloutId}, wave {t.Wave})");
        FleetRolloutTarget outcome;
        try
        {
            outcome = project is null
                ? Fail(t, $"project '{t.Project}' is not registered on {_node.Name}")
                : await RunAsync(t, project, ct);
        }
        catch (CicdException e) { outcome = Fail(t, e.Message); }
        if (!await ReportAsync(outcome, ct))
            _log($"fleet: rollout {t.RolloutId} no longer waits for {_node.Name} (timed out or cancelled); this node's outcome: {outcome.Status}");
        else
            _log($"fleet: {what}: {outcome.Status}" + (outcome.Reason is { } r ? $" ({r})" : ""));
    }

    private async Task<FleetRolloutTarget> RunAsync(FleetRolloutTarget t, Project p, CancellationToken ct)
    {
        Deployment? d;
        if (t.Kind == FleetTargetKind.Revert)
            // Back to what this node served before the rollout, whether or not it deployed successfully since.
            d = _engine.Rollback(p.Name, t.Commit, pin: p.PinnedCommit is not null, force: true);
        else
        {
            switch (t.Action)
            {
                case FleetAction.Deploy:
                    d = _engine.RequestDeployment(new DeploymentRequest { Project = p.Name, Commit = t.Commit, Trigger = DeploymentTrigger.Manual });
                    break;
                case FleetAction.Pin:
                    d = _engine.Pin(p.Name, t.Commit).Deployment;
                    break;
                case FleetAction.Unpin:
                    _engine.Unpin(p.Name);
                    d = null;
                    break;
                default:
                    d = _engine.Rollback(p.Name, t.Commit, pin: false, force: false);
                    break;
            }
        }
        if (d is not null && !d.IsFinished) d = await _engine.WaitForDeploymentAsync(d.Id, null, ct);
        var now = _engine.GetProject(p.Name);
        var done = t with { DeploymentId = d?.Id, ResultCommit = now.CurrentCommit };
        if (d is not null && d.Status != DeploymentStatus.Succeeded)
            return done with { Status = FleetTargetStatus.Failed, Reason = $"deployment {d.Id} {d.Status}" + (d.Reason is { } r ? $": {r}" : "") };
        if (d is not null && now.Status != ProjectStatus.Healthy)
            return done with { Status = FleetTargetStatus.Failed, Reason = $"deployment {d.Id} Succeeded but {p.Name} is {now.Status}" };
        return done with { Status = FleetTargetStatus.Succeeded, Reason = null };
    }

    private async Task<bool> ReportAsync(FleetRolloutTarget outcome, CancellationToken ct)
    {
        // The outcome must reach the registry: retry through an outage (until the listener stops).
        while (true)
        {
            try { return await _store.ReportAsync(outcome, CancellationToken.None); }
            catch (CicdException e) when (e.Error == CicdError.FleetRegistryUnavailable && !ct.IsCancellationRequested)
            {
                await Task.Delay(_interval, ct);
            }
        }
    }

    private static FleetRolloutTarget Fail(FleetRolloutTarget t, string reason) => t with { Status = FleetTargetStatus.Failed, Reason = reason };

    private static string Short(string? sha) => sha is null ? "-" : sha[..Math.Min(12, sha.Length)];
}
