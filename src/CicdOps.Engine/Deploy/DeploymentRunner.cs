using System.Diagnostics;
using CicdOps.Engine.Git;
using CicdOps.Engine.Model;
using CicdOps.Engine.Processes;
using CicdOps.Engine.Sandbox;
using CicdOps.Engine.Secrets;
using CicdOps.Engine.State;

namespace CicdOps.Engine.Deploy;

/// <summary>
/// Runs one deployment: sync → install → stop old → run → health, and on an unhealthy result the same
/// stages again for the last good commit. Records every stage, and leaves nothing half-running.
/// </summary>
internal sealed partial class DeploymentRunner : IDisposable
{
    private readonly EngineContext _ctx;
    private readonly Deployment _d;
    private readonly DeploymentLog _log;
    /// <summary>This deployment's connection to the state database, its statements kept prepared.</summary>
    private readonly DatabaseSession _db;
    private GitCli _git = new();
    private Checkout _checkout;
    private ServiceAccount _account = null!;
    private ProjectProcesses _own = null!;
    private IReadOnlyDictionary<string, string> _secrets = new Dictionary<string, string>();
    private SecretMasker _masker = SecretMasker.Empty;
    private string _pidFile = "";
    private LocalRepositoryTrust? _trust;
    private ScriptTree _scripts = new(null, false, false);
    private readonly ProjectStatus _statusBefore;
    private Project _p;
    private TimeSpan _scriptTime;
    private bool _oldAppStopped;
    private bool _treeMoved;
    /// <summary>Why a webhook's commit is stale (not the branch tip, or already behind what is deployed); null otherwise.</summary>
    private string? _stale;

    public DeploymentRunner(EngineContext ctx, Deployment deployment, ProjectStatus statusBefore)
    {
        _ctx = ctx;
        _statusBefore = statusBefore;
        _d = deployment;
        _db = new DatabaseSession(ctx.Db);
        try { _p = _db.Read(c => ProjectStore.Get(c, deployment.Project)); }
        catch
        {
            _db.Dispose();
            throw;
        }
        _log = new DeploymentLog(deployment.LogPath);
        _checkout = new Checkout(_git, _p.Path);
    }

    public async Task RunAsync(CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        _log.Write("deploy", $"deployment {_d.Id} of {_p.Name}: branch {_p.Branch}, {(_d.RequestedCommit is { } c ? "commit " + c : "branch tip")}, trigger {_d.Trigger}");
        var setupFailure = Prepare();
        var (status, reason, restored) = setupFailure is null ? await RunPipelineAsync(ct) : await SetupFailedAsync(setupFailure);
        // The log is complete before the status changes: whoever sees the status finished can read it all.
        _log.Write("deploy", $"{status}{(reason is null ? "" : ": " + reason)}");
        _log.Write("timing", $"total={clock.Elapsed.TotalMilliseconds:0}ms git={_git.Elapsed.TotalMilliseconds:0}ms scripts={_scriptTime.TotalMilliseconds:0}ms git-calls={_git.Calls}");
        Finish(status, reason, restored);
        _ctx.Tracker.Remove(DeploymentUnit);
    }

    private async Task<(DeploymentStatus, string?, string?)> RunPipelineAsync(CancellationToken ct)
    {
        if (_d.Trigger == DeploymentTrigger.Watchdog) return await RestartAsync(ct);
        string sha;
        try
        {
            sha = await SyncAsync(_d.RequestedCommit, rollback: false, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { return await CancelledAsync(); }
        catch (CicdException e)
        {
            // Nothing was stopped: whatever ran before still serves.
            await RestoreTreeAsync();
            return (DeploymentStatus.Failed, e.Message, null);
        }
        if (_stale is not null)
        {
            await RestoreTreeAsync();
            MarkDeliveryStale(_stale);
            return (DeploymentStatus.Skipped, "stale: " + _stale, null);
        }
        if (await PipelineGateAsync(sha, ct) is { } gateClosed)
        {
            if (ct.IsCancellationRequested) return await CancelledAsync();
            await RestoreTreeAsync();
            return (DeploymentStatus.Skipped, gateClosed, null);
        }

        // A port held by something that is not the project's fails the deploy before anything is installed or stopped.
        if (_p.Port is { } port && _own.ForeignHolders(port) is { } held)
        {
            await Stage(DeploymentStage.Stop, false, () => Task.FromResult<(StageOutcome, int?, string?)>((StageOutcome.Failed, null, held)));
            await RestoreTreeAsync();
            return (DeploymentStatus.Failed, held, null);
        }

        try
        {
            var failure = await BringUpAsync(sha, rollback: false, _d.ForceInstall, ct);
            if (failure is null)
            {
                Update(c =>
                {
                    ProjectStore.Set(c, _p.Name, "current_commit", sha);
                    ProjectStore.Set(c, _p.Name, "last_good_commit", sha);
                    ProjectStore.Set(c, _p.Name, "status", ProjectStatus.Healthy.ToString());
                });
                await PruneReleasesAsync();
                return (DeploymentStatus.Succeeded, null, null);
            }
            return await RollBackOrFailAsync(sha, failure, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { return await CancelledAsync(); }
    }

    private async Task<(DeploymentStatus, string?, string?)> RollBackOrFailAsync(string failedSha, string failure, CancellationToken ct)
    {
        // Behind a proxy the old app never stopped: it still serves, nothing to roll back.
        if (_keptServing) return OldKeptServing(failedSha, failure);
        var good = _db.Read(c => ProjectStore.Get(c, _p.Name)).LastGoodCommit;
        if (good is null || good == failedSha)
        {
            await StopAppAsync();
            MarkProject(ProjectStatus.Failed, current: null);
            var why = good is null ? "no last good commit to roll back to" : "the last good commit is this one";
            return (DeploymentStatus.Failed, $"{failure}; {why}", null);
        }
        _log.Write("rollback", $"{failure}; rolling back to {good}");
        string? rollbackFailure;
        try
        {
            await SyncAsync(good, rollback: true, ct);
            rollbackFailure = await BringUpAsync(good, rollback: true, forceInstall: false, ct);
        }
        catch (CicdException e) { rollbackFailure = e.Message; }
        if (rollbackFailure is null)
        {
            MarkProject(ProjectStatus.Healthy, current: good);
            // A pin to the commit that just proved unhealthy would claim a version that is not running.
            Update(c =>
            {
                if (ProjectStore.Get(c, _p.Name).PinnedCommit == failedSha) ProjectStore.Set(c, _p.Name, "pinned_commit", good);
            });
            return (DeploymentStatus.RolledBack, failure, good);
        }
        await StopAppAsync();
        MarkProject(ProjectStatus.Failed, current: null);
        return (DeploymentStatus.Failed, $"{failure}; rollback to {Short(good)} failed too: {rollbackFailure}", null);
    }

    /// <summary>Brings a synced commit up: install, stop the old app, run, health. Null when healthy.</summary>
    private async Task<string?> BringUpAsync(string sha, bool rollback, bool forceInstall, CancellationToken ct)
    {
        try { return await BringUpStagesAsync(sha, rollback, forceInstall, ct); }
        catch (CicdException e) { return e.Message; }
    }

    private async Task<string?> BringUpStagesAsync(string sha, bool rollback, bool forceInstall, CancellationToken ct)
    {
        var installFailure = await InstallAsync(sha, rollback, forceInstall, ct);
        if (installFailure is not null) return installFailure;
        if (Switching) return await BringUpBesideAsync(sha, rollback, ct);

        string? portHeld = null;
        await Stage(DeploymentStage.Stop, rollback, async () =>
        {
            await StopAppAsync();
            portHeld = await ClaimPortAsync();
            return portHeld is null ? (StageOutcome.Succeeded, null, null) : (StageOutcome.Failed, null, portHeld);
        });
        if (portHeld is not null) return portHeld;

        var failure = await RunAndCheckAsync(sha, rollback, ct);
        // Only a healthy release becomes current.
        if (failure is null)
        {
            await SwitchCurrentAsync(prune: !rollback);
            RecordServingApp();
        }
        return failure;
    }

    /// <summary>Where the watchdog finds the serving app's health.sh (the release it runs in, or the one tree).</summary>
    private void RecordServingApp() => Update(c =>
    {
        ProjectStore.Set(c, _p.Name, "app_dir", WorkDir);
        ProjectStore.Set(c, _p.Name, "app_has_health", _scripts.HasHealth ? 1 : 0);
    });

    /// <summary>Run and Health: starts run.sh and waits for it to be healthy. Null when healthy.</summary>
    private async Task<string?> RunAndCheckAsync(string sha, bool rollback, CancellationToken ct)
    {
        var app = await StartAppAsync(sha, rollback);
        string? failure = null;
        await Stage(DeploymentStage.Health, rollback, async () =>
        {
            var checker = new HealthChecker(_p with { Path = WorkDir }, app.Process, _pidFile, _ctx.Options.SettlePeriod,
                (timeout, output, token) => RunTrackedAsync(Spec(new[] { "bash", ScriptNames.Health }, sha), WorkDir, timeout, output, token),
                _own.WhyNotOwn, _own.ForeignHolders, line => _log.Write("health", line));
            var pruning = PruneBesideHealth(rollback);
            try { failure = await checker.CheckAsync(app.Record, ct); }
            finally
            {
                await pruning;
                _scriptTime += checker.ScriptTime;
                if (checker.Tracked != app.Record) Update(c => ProjectStore.SetApp(c, _p.Name, checker.Tracked));
            }
            return failure is null ? (StageOutcome.Succeeded, null, null) : (StageOutcome.Failed, null, failure);
        });
        return failure;
    }

    private static string Short(string sha) => sha.Length > 12 ? sha[..12] : sha;

    public void Dispose()
    {
        _trust?.Dispose();
        _log.Dispose();
        _db.Dispose();
    }
}
