using System.Diagnostics;
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
        string sha = "";
        await Stage(DeploymentStage.Sync, rollback, async () =>
        {
            if (!_checkout.Exists)
            {
                _log.Write("sync", $"no checkout at {_p.Path}: cloning {Validation.RepositoryUrl.Redact(_p.Repository)}");
                await _checkout.InitAsync(path => _ctx.Sandbox.PrepareProjectPath(path, _account), ct);
            }
            else await SaveLocalModificationsAsync(ct);
            await _checkout.FetchAsync(_p.Repository, _p.Branch, ct);
            sha = await _checkout.ResolveAsync(_p.Repository, _p.Branch, commit, ct);
            if (!rollback && (_stale = await StaleDeliveryAsync(sha, ct)) is not null)
            {
                _log.Write("sync", $"{Short(sha)} is stale: {_stale}; nothing deployed");
                return (StageOutcome.Skipped, null, "stale: " + _stale);
            }
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

    /// <summary>A hot-fix edited in place is saved as a patch under the data directory before the reset discards it.</summary>
    private async Task SaveLocalModificationsAsync(CancellationToken ct)
    {
        var patch = await _checkout.LocalModificationsAsync(ct);
        if (patch is null) return;
        var dir = _ctx.Layout.Patches(_p.Name);
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, $"{DateTimeOffset.UtcNow:yyyyMMddTHHmmssfffZ}-deployment-{_d.Id}.patch");
        await File.WriteAllTextAsync(file, patch, ct);
        _log.Write("sync", $"local modifications saved to {file} (apply with: git apply {file})");
        await _checkout.DiscardLocalModificationsAsync(ct);
    }

    /// <summary>Install: run install.sh when its hash changed since the last successful install (or when forced).</summary>
    private async Task<string?> InstallAsync(string sha, bool rollback, bool force, CancellationToken ct)
    {
        var hash = InstallHash.Of(_p.Path);
        var lastHash = _ctx.Db.Read(c => ProjectStore.Get(c, _p.Name)).InstallScriptHash;
        string? failure = null;
        await Stage(DeploymentStage.Install, rollback, async () =>
        {
            if (hash is null) return (StageOutcome.Skipped, null, "no .cicd/install.sh");
            if (!force && hash == lastHash) return (StageOutcome.Skipped, null, "install.sh unchanged");
            _log.Write("install", force ? "running install.sh (forced)" : "running install.sh (changed)");
            var allowSudo = _p.AllowSudoDuringInstall && _ctx.Sandbox.IsSandboxed;
            ScriptResult r;
            // The grant lives exactly as long as install.sh: removed on success, failure, timeout and cancel.
            using (allowSudo ? _ctx.Sandbox.GrantSudo(_account) : null)
                r = await RunScriptAsync(ScriptNames.Install, sha, _p.InstallTimeout, "install", ct, allowSudo);
            if (r.Cancelled) throw new OperationCanceledException(ct);
            if (!r.Succeeded) { failure = r.Describe("install.sh"); return (StageOutcome.Failed, r.ExitCode, failure); }
            Update(c => ProjectStore.Set(c, _p.Name, "install_hash", hash));
            return (StageOutcome.Succeeded, 0, null);
        });
        return failure;
    }

    private async Task<ScriptResult> RunScriptAsync(string script, string sha, TimeSpan timeout, string source, CancellationToken ct, bool allowSudo = false)
    {
        var psi = ProcessLaunch.Create(Spec(new[] { "bash", script }, sha, allowSudo), _p.Path);
        var r = await ScriptRunner.RunAsync(psi, timeout, line => _log.Write(source, line),
            pgid => Update(c => DeploymentStore.SetChildGroup(c, _d.Id, pgid)), ct);
        Update(c => DeploymentStore.SetChildGroup(c, _d.Id, null));
        _scriptTime += r.Duration;
        return r;
    }

    /// <summary>Stop: the previous app's whole process group, then whatever still holds the project's port.</summary>
    private async Task StopAppAsync()
    {
        var app = _ctx.Db.Read(c => ProjectStore.GetApp(c, _p.Name));
        if (app is not null && ProcFs.IsAlive(app.Pid, app.StartTicks))
        {
            _log.Write("stop", $"stopping pid {app.Pid} (process group {app.Pgid})");
            if (app.Pgid == app.Pid || Posix.ProcessGroupOf(app.Pid) == app.Pgid)
                await ProcessStopper.StopGroupAsync(app.Pgid, _ctx.Options.StopGracePeriod);
            if (ProcFs.IsAlive(app.Pid, app.StartTicks))
                await ProcessStopper.StopProcessesAsync(new[] { app.Pid }, _ctx.Options.StopGracePeriod);
        }
        Update(c => ProjectStore.SetApp(c, _p.Name, null));
        _oldAppStopped = true;
        if (_p.Port is { } port)
        {
            var strays = PortOwners.Pids(port);
            if (strays.Count > 0)
            {
                _log.Write("stop", $"port {port} is held by pid {string.Join(", ", strays)}: stopping it");
                await ProcessStopper.StopProcessesAsync(strays, _ctx.Options.StopGracePeriod);
            }
        }
    }

    /// <summary>Run: start run.sh detached, recording its process at once so a later deploy can always stop it.</summary>
    private async Task<(Process Process, AppProcess Record)> StartAppAsync(string sha, bool rollback)
    {
        (Process, AppProcess) started = default;
        await Stage(DeploymentStage.Run, rollback, async () =>
        {
            var script = Path.Combine(_p.Path, ScriptNames.Run);
            if (!File.Exists(script)) throw new CicdException(CicdError.CheckoutFailed, $"{ScriptNames.Run} is missing at commit {Short(sha)}");
            await ClearPidFileAsync(CancellationToken.None);
            var pump = _ctx.Options.LogPumpCommand is { Count: > 0 } command ? command.Append(_p.Name).ToList() : null;
            if (pump is null)
                _log.Write("run", "app output is not masked: no log pump is configured, so it goes to app.log as printed");
            var process = AppLauncher.Start(Spec(new[] { "bash", ScriptNames.Run }, sha), _p.Path, _ctx.Layout.AppLog(_p.Name), pump);
            var record = new AppProcess(process.Id, process.Id, ProcFs.StartTicks(process.Id));
            Update(c => ProjectStore.SetApp(c, _p.Name, record));
            _log.Write("run", $"started run.sh as pid {process.Id}; output in {_ctx.Layout.AppLog(_p.Name)}");
            started = (process, record);
            return (StageOutcome.Succeeded, (int?)null, (string?)null);
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

    private async Task<(DeploymentStatus, string?, string?)> CancelledAsync()
    {
        _log.Write("deploy", "cancel requested: stopping");
        var startedNewApp = _oldAppStopped;
        if (startedNewApp)
        {
            await StopAppAsync();
            MarkProject(ProjectStatus.Stopped, current: null);
        }
        else await RestoreTreeAsync();
        return (DeploymentStatus.Cancelled, "cancelled by request", null);
    }

    /// <summary>
    /// The deployment ended before the old app was touched: the project is as it was, so its status returns,
    /// and when the tree moved it is put back under the running app (best effort).
    /// </summary>
    private async Task RestoreTreeAsync()
    {
        Update(c => ProjectStore.Set(c, _p.Name, "status", _statusBefore.ToString()));
        var current = _ctx.Db.Read(c => ProjectStore.Get(c, _p.Name)).CurrentCommit;
        if (!_treeMoved || current is null) return;
        try { await _checkout.ResetHardAsync(current, CancellationToken.None); }
        catch (CicdException e) { _log.Write("sync", "could not restore the tree: " + e.Message); }
    }

    private void MarkProject(ProjectStatus status, string? current) => Update(c =>
    {
        ProjectStore.Set(c, _p.Name, "status", status.ToString());
        ProjectStore.Set(c, _p.Name, "current_commit", current);
    });

    private void Finish(DeploymentStatus status, string? reason, string? restored) =>
        Update(c => DeploymentStore.Finish(c, _d.Id, status, Mask(reason), restored));

    private string? Mask(string? text) => text is null ? null : _masker.Mask(text);

    private T Update<T>(Func<SqliteConnection, T> write)
    {
        var r = _ctx.Db.Write(write);
        _ctx.Changes.Pulse();
        return r;
    }

    private void Update(Action<SqliteConnection> write) => Update(c => { write(c); return 0; });
}
