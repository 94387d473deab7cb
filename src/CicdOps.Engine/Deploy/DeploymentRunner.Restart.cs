using CicdOps.Engine.State;

namespace CicdOps.Engine.Deploy;

/// <summary>
/// A watchdog restart (trigger Watchdog): the serving commit brought up again where it is — no fetch, no new release,
/// install only if its script changed — through the same Stop, Run and Health stages, so history shows it like any
/// deployment. It never rolls back: a restart that stays unhealthy leaves the app stopped and the project Unhealthy
/// (same commit), and the watchdog decides whether to try again.
/// </summary>
internal sealed partial class DeploymentRunner
{
    private async Task<(DeploymentStatus, string?, string?)> RestartAsync(CancellationToken ct)
    {
        var sha = _d.RequestedCommit ?? _db.Read(c => ProjectStore.Get(c, _p.Name)).CurrentCommit;
        if (sha is null)
        {
            MarkProject(ProjectStatus.Failed, current: null);
            return (DeploymentStatus.Failed, "nothing to restart: no commit serves", null);
        }
        try
        {
            await Stage(DeploymentStage.Sync, false, async () =>
            {
                if (UsesReleases)
                {
                    _layout ??= new ReleaseLayout(_p.Path);
                    if (Kept(sha) is not { } kept)
                        throw new CicdException(CicdError.CheckoutFailed, $"the release of {Short(sha)} is gone: deploy again", _p.Name);
                    Use(kept);
                    _log.Write("sync", $"watchdog restart of {Short(sha)} in its release {kept.Name}: no git");
                    return (StageOutcome.Succeeded, null, "restart in release " + kept.Name);
                }
                // What the commit records for its scripts (read from git's objects: no fetch, the tree stays as it is).
                _scripts = await ScriptTree.ReadAsync(_git, _p.Path, sha, ct);
                _log.Write("sync", $"watchdog restart of {Short(sha)} in {_p.Path}: no fetch");
                return (StageOutcome.Succeeded, null, "restart of " + Short(sha));
            });
            Update(c => DeploymentStore.SetCommit(c, _d.Id, sha));
            var failure = await BringUpAsync(sha, rollback: false, forceInstall: false, ct);
            if (failure is null)
            {
                MarkProject(ProjectStatus.Healthy, current: sha);
                return (DeploymentStatus.Succeeded, null, null);
            }
            await StopAppAsync();
            MarkProject(ProjectStatus.Unhealthy, current: sha);
            return (DeploymentStatus.Failed, failure, null);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { return await CancelledAsync(); }
        catch (CicdException e)
        {
            MarkProject(ProjectStatus.Unhealthy, current: sha);
            return (DeploymentStatus.Failed, e.Message, null);
        }
    }
}
