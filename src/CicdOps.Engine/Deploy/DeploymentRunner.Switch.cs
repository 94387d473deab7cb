using CicdOps.Engine.Model;
using CicdOps.Engine.Processes;
using CicdOps.Engine.Proxy;
using CicdOps.Engine.State;

namespace CicdOps.Engine.Deploy;

/// <summary>
/// The zero-downtime switch (a project with releases and a proxy): the new release starts on the idle port of
/// the pair while the old app keeps serving (moved to the draining unit, so stopping one never stops the other),
/// is health-checked there, and only then does the proxy point at it; the old app drains and is stopped. A new
/// release that fails never reaches the proxy: it is stopped and the old app stays exactly as it was.
/// </summary>
internal sealed partial class DeploymentRunner
{
    private ProjectProxy? _proxy;
    private bool _proxyLoaded;
    /// <summary>The new release failed while the old app kept serving through the proxy.</summary>
    private bool _keptServing;

    private ProjectProxy? Proxy
    {
        get
        {
            if (!_proxyLoaded) { _proxy = ProxyStore.Load(_ctx, _p.Name); _proxyLoaded = true; }
            return _proxy;
        }
    }

    private bool Switching => UsesReleases && Proxy is not null;

    private async Task<string?> BringUpBesideAsync(string sha, bool rollback, CancellationToken ct)
    {
        var proxy = Proxy!;
        var old = _db.Read(c => ProjectStore.GetApp(c, _p.Name));
        var serving = old is not null && ProcFs.IsAlive(old.Pid, old.StartTicks) && _own.IsOwn(old.Pid) ? old : null;
        var port = proxy.IdlePort;
        string? held = null;
        await Stage(DeploymentStage.Stop, rollback, async () =>
        {
            if (serving is null) await StopAppAsync(); // nothing serves: only leftovers go
            else
            {
                _ctx.Tracker.Move(_own.AppUnit, _own.DrainUnit);
                Update(c => ProjectStore.SetApp(c, _p.Name, null));
                _log.Write("stop", $"the old app (pid {serving.Pid}) keeps serving{(proxy.ActivePort is { } a ? " on port " + a : "")} until the switch; the new release starts on port {port}");
            }
            held = await _own.ClaimPortAsync(port, _ctx.Options.StopGracePeriod, line => _log.Write("stop", line));
            return held is null ? (StageOutcome.Succeeded, null, $"old app kept serving; port {port} free") : (StageOutcome.Failed, null, held);
        });
        if (held is not null) { PutBack(serving); return held; }

        var ownPort = _p.Port;
        _p = _p with { Port = port }; // PORT for run.sh and health.sh, and the port the health check waits for
        try
        {
            var failure = await RunAndCheckAsync(sha, rollback, ct);
            if (failure is null) failure = await SwitchProxyAsync(proxy, port, rollback);
            if (failure is not null)
            {
                await StopNewAppAsync();
                PutBack(serving);
                return failure;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or CicdException)
        {
            await StopNewAppAsync();
            PutBack(serving);
            throw;
        }
        finally { _p = _p with { Port = ownPort }; }
        // The proxy serves the new release now: whatever happens next never touches it.
        _proxy = proxy with { ActivePort = port };
        ProxyStore.Save(_ctx, _proxy);
        RecordServingApp();
        if (serving is not null) await DrainAsync(serving, proxy.DrainPeriod);
        return null;
    }

    /// <summary>Switch: current names the new release, then nginx or Caddy points at its port; a refusal puts current back.</summary>
    private async Task<string?> SwitchProxyAsync(ProjectProxy proxy, int port, bool rollback)
    {
        string? failure = null;
        await Stage(DeploymentStage.Switch, rollback, async () =>
        {
            var before = _layout?.CurrentName();
            await SwitchCurrentAsync(prune: false); // the old release still drains: pruned after, once the deploy succeeded
            failure = proxy.Kind == ProxyKind.Caddy
                ? await CaddySwitch.PointAtAsync(proxy, port, line => _log.Write("switch", line))
                : await NginxSwitch.PointAtAsync(proxy, port, line => _log.Write("switch", line));
            if (failure is not null && before is not null && before != _release?.Name)
                await RunAsAccountAsync(ReleaseScripts.Switch, new[] { _p.Path, before }, "switching current back", CancellationToken.None);
            return failure is null ? (StageOutcome.Succeeded, null, $"{(proxy.Kind == ProxyKind.Caddy ? "caddy" : "nginx")} → port {port}") : (StageOutcome.Failed, null, failure);
        });
        return failure;
    }

    /// <summary>The old app finishes what it serves, then stops; only the draining unit is touched.</summary>
    private async Task DrainAsync(AppProcess old, TimeSpan drain)
    {
        _log.Write("switch", $"draining the old app (pid {old.Pid}) for {drain.TotalSeconds:0.#} s");
        await Task.Delay(drain);
        await _own.StopAppAsync(old, _ctx.Options.StopGracePeriod, line => _log.Write("switch", line), _own.DrainUnit);
        _ctx.Tracker.Remove(_own.DrainUnit);
    }

    /// <summary>The new app only (the app unit): the old one is in the draining unit.</summary>
    private async Task StopNewAppAsync()
    {
        var fresh = _db.Read(c => ProjectStore.GetApp(c, _p.Name));
        await _own.StopAppAsync(fresh, _ctx.Options.StopGracePeriod, line => _log.Write("stop", line), _own.AppUnit);
        Update(c => ProjectStore.SetApp(c, _p.Name, null));
    }

    /// <summary>The old app is the project's app again, as if nothing happened.</summary>
    private void PutBack(AppProcess? serving)
    {
        if (serving is null) return;
        _ctx.Tracker.Move(_own.DrainUnit, _own.AppUnit);
        Update(c => ProjectStore.SetApp(c, _p.Name, serving));
        _keptServing = true;
    }

    private (DeploymentStatus, string?, string?) OldKeptServing(string failedSha, string failure)
    {
        var current = _db.Read(c => ProjectStore.Get(c, _p.Name)).CurrentCommit;
        _log.Write("rollback", $"{failure}; the proxy was never pointed at it: the old app kept serving {(current is null ? "" : Short(current))}");
        Update(c =>
        {
            ProjectStore.Set(c, _p.Name, "status", ProjectStatus.Healthy.ToString());
            if (current is not null && ProjectStore.Get(c, _p.Name).PinnedCommit == failedSha) ProjectStore.Set(c, _p.Name, "pinned_commit", current);
        });
        return (DeploymentStatus.RolledBack, $"{failure}; the old release kept serving (the proxy was not touched)", current);
    }
}
