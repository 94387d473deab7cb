using System.Diagnostics;
using CicdOps.Engine.Git;
using CicdOps.Engine.Model;
using CicdOps.Engine.Processes;
using CicdOps.Engine.State;
using Microsoft.Data.Sqlite;

namespace CicdOps.Engine.Deploy;

internal sealed partial class DeploymentRunner
{
    /// <summary>Sync: make the working tree hold exactly the target commit; returns its full SHA.</summary>
    private async Task<string> SyncAsync(string? commit, bool rollback, CancellationToken ct)
    {
        if (UsesReleases) return await SyncReleaseAsync(commit, rollback, ct);
        string sha = "";
        await Stage(DeploymentStage.Sync, rollback, async () =>
        {
            // A hot-fix edited in place is read while the fetch runs (neither waits for the other), and saved before
            // the reset below discards it; a clean tree costs that one status call and nothing else.
            // From the pool: a process start blocks its caller until the child has exec'd; the fetch must not wait for it.
            var local = _checkout.Exists ? Task.Run(() => _checkout.LocalModificationsAsync(ct), CancellationToken.None) : null;
            if (local is null)
            {
                _log.Write("sync", $"no checkout at {_p.Path}: cloning {Validation.RepositoryUrl.Redact(_p.Repository)}");
                await _checkout.InitAsync(path => _ctx.Sandbox.PrepareProjectPath(path, _account), ct);
                await _checkout.MarkAsync(_p.Name, ct); // names the project, so a later registration can tell it is this one's
            }
            try { await _checkout.FetchAsync(_p.Repository, _p.Branch, ct); }
            finally { if (local is not null) await SaveLocalModificationsAsync(await local, ct); }
            // The branch tip's scripts are listed while its SHA is resolved (the same fetched ref; see SyncNewReleaseAsync).
            var listing = commit is null ? Task.Run(() => ScriptTree.ListAsync(_git, _p.Path, Checkout.FetchedTip(_p.Branch), ct), CancellationToken.None) : null;
            try
            {
                sha = await _checkout.ResolveAsync(_p.Repository, _p.Branch, commit, ct);
                if (!rollback && (_stale = await StaleDeliveryAsync(sha, ct)) is not null)
                {
                    _log.Write("sync", $"{Short(sha)} is stale: {_stale}; nothing deployed");
                    return (StageOutcome.Skipped, null, "stale: " + _stale);
                }
            }
            finally { await Quietly(listing); }
            // What the commit says its scripts are (regular files, or the deployment stops here, tree untouched).
            _scripts = listing is null ? await ScriptTree.ReadAsync(_git, _p.Path, sha, ct) : ScriptTree.Parse(await listing, sha);
            await _checkout.ResetHardAsync(sha, ct);
            _treeMoved = true;
            if (!rollback)
            {
                Update(c =>
                {
                    DeploymentStore.SetCommit(c, _d.Id, sha);
                    // A pin given as an abbreviated SHA is stored as the full one once known.
                    if (_d.Trigger == DeploymentTrigger.Pin) ProjectStore.Set(c, _p.Name, "pinned_commit", sha);
                });
            }
            _log.Write("sync", $"at {sha}");
            return (StageOutcome.Succeeded, null, sha);
        });
        return sha;
    }

    /// <summary>Waits for a side task whose answer may not be needed; its failure is the main line's to meet, not this wait's.</summary>
    private static async Task Quietly(Task? task)
    {
        if (task is null) return;
        try { await task; } catch (Exception e) when (e is CicdException or OperationCanceledException) { }
    }

    /// <summary>A hot-fix edited in place is saved as a patch under the data directory; the reset to the target discards it.</summary>
    private async Task SaveLocalModificationsAsync(string? patch, CancellationToken ct)
    {
        if (patch is null) return;
        var dir = _ctx.Layout.Patches(_p.Name);
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, $"{DateTimeOffset.UtcNow:yyyyMMddTHHmmssfffZ}-deployment-{_d.Id}.patch");
        await File.WriteAllTextAsync(file, patch, ct);
        _log.Write("sync", $"local modifications saved to {file} (apply with: git apply {file})");
    }

    /// <summary>Install: run install.sh when its hash changed since the last successful install (or when forced).</summary>
    private async Task<string?> InstallAsync(string sha, bool rollback, bool force, CancellationToken ct)
    {
        var hash = _scripts.InstallObject;
        // A new release is a fresh tree: it needs its own install; a kept one was installed when it was made.
        var skipped = hash is null ? "no .cicd/install.sh"
            : force ? null
            : _release is { } release ? (release.InstalledAt is not null ? $"release {release.Name} is installed" : null)
            : hash == _db.Read(c => ProjectStore.Get(c, _p.Name)).InstallScriptHash ? "install.sh unchanged" : null;
        if (skipped is not null)
        {
            SkippedStage(DeploymentStage.Install, rollback, skipped);
            return null;
        }
        string? failure = null;
        await Stage(DeploymentStage.Install, rollback, async () =>
        {
            _log.Write("install", force ? "running install.sh (forced)" : "running install.sh (changed)");
            var allowSudo = _p.SudoCommands.Count > 0 && _ctx.Sandbox.IsSandboxed;
            if (allowSudo)
                _log.Write("install", Sandbox.SudoCommands.GrantsEverything(_p.SudoCommands)
                    ? "warning: " + Sandbox.SudoCommands.AllWarning
                    : $"sudo allowed for: {string.Join("; ", _p.SudoCommands)}");
            ScriptResult r;
            // The grant lives exactly as long as install.sh: removed on success, failure, timeout and cancel
            // (and, if this process is killed, by the next engine start or the listener's sweep).
            using (allowSudo ? _ctx.Sandbox.GrantSudo(_account, _p.SudoCommands) : null)
                r = await RunScriptAsync(ScriptNames.Install, sha, _p.InstallTimeout, "install", ct, allowSudo);
            if (r.Cancelled) throw new OperationCanceledException(ct);
            if (!r.Succeeded) { failure = r.Describe("install.sh"); return (StageOutcome.Failed, r.ExitCode, failure); }
            Update(c => ProjectStore.Set(c, _p.Name, "install_hash", hash));
            MarkInstalled();
            return (StageOutcome.Succeeded, 0, null);
        });
        return failure;
    }

    private async Task<ScriptResult> RunScriptAsync(string script, string sha, TimeSpan timeout, string source, CancellationToken ct, bool allowSudo = false)
    {
        var r = await RunTrackedAsync(Spec(new[] { "bash", script }, sha, allowSudo), WorkDir, timeout, line => _log.Write(source, line), ct);
        _scriptTime += r.Duration;
        return r;
    }

    /// <summary>
    /// Runs a script in the deployment's unit, its process group recorded while it runs (recovery stops it if
    /// this runner dies). Nothing it started outlives it: what is left in the unit when it ends (background
    /// jobs, setsid escapes under cgroup tracking) is stopped.
    /// </summary>
    private async Task<ScriptResult> RunTrackedAsync(LaunchSpec spec, string workingDirectory, TimeSpan timeout, Action<string> output, CancellationToken ct)
    {
        var psi = ProcessLaunch.Create(spec, workingDirectory, _ctx.Tracker.JoinPrefix(DeploymentUnit));
        int? group = null;
        // Recovery finds the script by its recorded group only without cgroups: a cgroup unit holds it whatever its group,
        // so there the two writes per script (a health check is one) are left out.
        var recordGroup = !_ctx.Tracker.IsAuthoritative;
        try
        {
            return await ScriptRunner.RunAsync(psi, timeout, output,
                pgid => { group = pgid; if (recordGroup) Update(c => DeploymentStore.SetChildGroup(c, _d.Id, pgid)); }, ct);
        }
        finally
        {
            if (await _own.StopDeploymentAsync(_d.Id, group, KillGrace))
                output("stopped processes the script left running");
            if (recordGroup) Update(c => DeploymentStore.SetChildGroup(c, _d.Id, null));
        }
    }

    private static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(2);

    /// <summary>Stop: the previous app, only ever the project's own processes (see <see cref="ProjectProcesses"/>).</summary>
    private async Task StopAppAsync()
    {
        var app = _db.Read(c => ProjectStore.GetApp(c, _p.Name));
        if (app is not null) _log.Write("stop", $"stopping the app (pid {app.Pid}, tracked by {_ctx.Tracker.Mechanism})");
        await _own.StopAppAsync(app, _ctx.Options.StopGracePeriod, line => _log.Write("stop", line));
        Update(c => ProjectStore.SetApp(c, _p.Name, null));
        _oldAppStopped = true;
    }

    /// <summary>After the stop: the project's port is free, or held only by the project's own strays (stopped). Null when free.</summary>
    private async Task<string?> ClaimPortAsync() =>
        _p.Port is { } port ? await _own.ClaimPortAsync(port, _ctx.Options.StopGracePeriod, line => _log.Write("stop", line)) : null;

    /// <summary>Run: start run.sh detached, recording its process at once so a later deploy can always stop it.</summary>
    private async Task<(Process Process, AppProcess Record)> StartAppAsync(string sha, bool rollback)
    {
        (Process, AppProcess) started = default;
        await Stage(DeploymentStage.Run, rollback, () =>
        {
            if (!_scripts.HasRun) throw new CicdException(CicdError.CheckoutFailed, $"{ScriptNames.Run} is missing at commit {Short(sha)}");
            var pump = _ctx.Options.LogPumpCommand is { Count: > 0 } command ? command.Append(_p.Name).ToList() : null;
            if (pump is null)
                _log.Write("run", "app output is not masked: no log pump is configured, so it goes to app.log as printed");
            var process = AppLauncher.Start(Spec(RunArgv(), sha), WorkDir, _ctx.Layout.AppLog(_p.Name), pump,
                _ctx.Tracker.JoinPrefix(_own.AppUnit));
            var record = new AppProcess(process.Id, process.Id, ProcFs.StartTicks(process.Id));
            Update(c => ProjectStore.SetApp(c, _p.Name, record));
            if (_release is not null) _log.Write("run", $"run.sh runs in releases/{_release.Name}");
            _log.Write("run", $"started run.sh as pid {process.Id}; output in {_ctx.Layout.AppLog(_p.Name)}");
            started = (process, record);
            return Task.FromResult<(StageOutcome, int?, string?)>((StageOutcome.Succeeded, null, null));
        });
        return started;
    }

    /// <summary>
    /// The launch spec for a project script: its argument list, run as the project's account with a clean
    /// environment of the CICD_* variables and the project's secrets.
    /// </summary>
    private LaunchSpec Spec(IReadOnlyList<string> argv, string sha, bool allowSudo = false)
    {
        var env = new Dictionary<string, string>
        {
            ["CICD_PROJECT"] = _p.Name,
            ["CICD_COMMIT"] = sha,
            ["CICD_BRANCH"] = _p.Branch,
            ["CICD_DEPLOYMENT_ID"] = _d.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["CICD_PID_FILE"] = _pidFile,
        };
        if (_p.Port is { } port) env["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new LaunchSpec(argv, _ctx.Sandbox.PlanLaunch(_account, env, _secrets, allowSudo));
    }

    /// <summary>A stage with nothing to do, recorded begun and skipped in one write.</summary>
    private void SkippedStage(DeploymentStage stage, bool rollback, string detail) => Update(c =>
    {
        var seq = DeploymentStore.StartStage(c, _d.Id, stage, rollback);
        DeploymentStore.FinishStage(c, _d.Id, seq, StageOutcome.Skipped, null, Mask(detail));
    });

    /// <summary>Runs one stage, recording its start, outcome, exit code and detail.</summary>
    private async Task Stage(DeploymentStage stage, bool rollback, Func<Task<(StageOutcome Outcome, int? ExitCode, string? Detail)>> body)
    {
        var seq = Update(c => DeploymentStore.StartStage(c, _d.Id, stage, rollback));
        try
        {
            var (outcome, exit, detail) = await body();
            Update(c => DeploymentStore.FinishStage(c, _d.Id, seq, outcome, exit, Mask(detail)));
        }
        catch (OperationCanceledException)
        {
            Update(c => DeploymentStore.FinishStage(c, _d.Id, seq, StageOutcome.Cancelled, null, "cancelled"));
            throw;
        }
        catch (CicdException e)
        {
            Update(c => DeploymentStore.FinishStage(c, _d.Id, seq, StageOutcome.Failed, null, Mask(e.Message)));
            throw;
        }
    }

    /// <summary>
    /// A cancel before the old app was stopped leaves it serving. After (during Run or Health), the cancelled app
    /// is stopped and the last good version put back, as a rollback would; when there is none, or it fails to
    /// come up, the project is marked so and the reason says plainly that nothing serves.
    /// </summary>
    private async Task<(DeploymentStatus, string?, string?)> CancelledAsync()
    {
        _log.Write("deploy", "cancel requested: stopping");
        if (!_oldAppStopped)
        {
            await RestoreTreeAsync();
            return (DeploymentStatus.Cancelled, "cancelled by request", null);
        }
        await StopAppAsync();
        var good = _db.Read(c => ProjectStore.Get(c, _p.Name)).LastGoodCommit;
        if (good is null)
        {
            MarkProject(ProjectStatus.Stopped, current: null);
            return (DeploymentStatus.Cancelled, "cancelled by request; nothing serves: no earlier deployment succeeded, so there is no version to put back", null);
        }
        _log.Write("rollback", $"cancelled: putting back the last good commit {good}");
        string? failure;
        try
        {
            await SyncAsync(good, rollback: true, CancellationToken.None);
            failure = await BringUpAsync(good, rollback: true, forceInstall: false, CancellationToken.None);
        }
        catch (CicdException e) { failure = e.Message; }
        if (failure is null)
        {
            MarkProject(ProjectStatus.Healthy, current: good);
            return (DeploymentStatus.Cancelled, $"cancelled by request; the last good commit {Short(good)} serves again", good);
        }
        await StopAppAsync();
        MarkProject(ProjectStatus.Failed, current: null);
        return (DeploymentStatus.Cancelled, $"cancelled by request; nothing serves: putting back {Short(good)} failed: {failure}", null);
    }

    /// <summary>
    /// The deployment ended before the old app was touched: the project is as it was, so its status returns,
    /// and when the tree moved it is put back under the running app (best effort).
    /// </summary>
    private async Task RestoreTreeAsync()
    {
        Update(c => ProjectStore.Set(c, _p.Name, "status", _statusBefore.ToString()));
        var current = _db.Read(c => ProjectStore.Get(c, _p.Name)).CurrentCommit;
        if (!_treeMoved || current is null) return;
        try { await _checkout.ResetHardAsync(current, CancellationToken.None); }
        catch (CicdException e) { _log.Write("sync", "could not restore the tree: " + e.Message); }
    }

    private void MarkProject(ProjectStatus status, string? current) => Update(c =>
    {
        ProjectStore.Set(c, _p.Name, "status", status.ToString());
        ProjectStore.Set(c, _p.Name, "current_commit", current);
    });

    private void Finish(DeploymentStatus status, string? reason, string? restored)
    {
        Update(c => DeploymentStore.Finish(c, _d.Id, status, Mask(reason), restored));
        _ctx.Changes.Pulse(); // the one write of a runner that ends a wait
    }

    private string? Mask(string? text) => text is null ? null : _masker.Mask(text);

    private T Update<T>(Func<SqliteConnection, T> write)
    {
        var r = _db.Write(write);
        _ctx.Changes.PulseProgress();
        return r;
    }

    private void Update(Action<SqliteConnection> write) => Update(c => { write(c); return 0; });
}
