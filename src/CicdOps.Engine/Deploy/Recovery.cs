using CicdOps.Engine.Model;
using CicdOps.Engine.Processes;
using CicdOps.Engine.State;
using Microsoft.Data.Sqlite;

namespace CicdOps.Engine.Deploy;

/// <summary>Finds deployments whose runner died and marks them Interrupted, stopping any git or script they left running.</summary>
internal static class Recovery
{
    /// <summary>For one project (or all when null), inside the caller's write transaction. Returns the ids marked.</summary>
    public static List<long> InterruptDeadRunners(EngineContext ctx, SqliteConnection c, string? project)
    {
        var marked = new List<long>();
        foreach (var d in DeploymentStore.AllWithStatus(c, DeploymentStatus.Running))
        {
            if (project is not null && d.Project != project) continue;
            var runner = DeploymentStore.Runner(c, d.Id);
            var lease = LeaseStore.Get(c, d.Project);
            if (runner is not null && lease is not null && lease.Owner == runner && lease.IsLive) continue;
            StopLeftovers(ctx, c, d);
            DeploymentStore.CloseOpenStages(c, d.Id);
            var who = runner is not null && RunnerIdentity.Pid(runner) is { } pid ? $" (pid {pid})" : "";
            DeploymentStore.Finish(c, d.Id, DeploymentStatus.Interrupted, $"the process running this deployment{who} died");
            ProjectStore.Set(c, d.Project, "status", ProjectStatus.Failed.ToString());
            if (lease is not null && lease.Owner == runner) LeaseStore.Release(c, d.Project, lease.Owner);
            marked.Add(d.Id);
        }
        return marked;
    }

    /// <summary>
    /// Git, install.sh or health.sh orphaned by the dead runner (an orphaned `git fetch` holds the ref locks the
    /// next deploy needs): everything in the deployment's unit, or without cgroups the project's own processes
    /// of the recorded script group and those carrying the deployment's marker. At once: nobody waits for them.
    /// </summary>
    private static void StopLeftovers(EngineContext ctx, SqliteConnection c, Deployment d)
    {
        var p = ProjectStore.Get(c, d.Project);
        // Its account gone, uid 0 stands for "none": no process counts as the project's by its user, and the cgroup still does.
        uint uid;
        try { uid = ctx.Sandbox.ResolveAccount(p.ServiceUser).Uid; }
        catch (CicdException) { uid = 0; }
        var own = new ProjectProcesses(ctx.Tracker, p.Name, uid, ctx.Sandbox.IsSandboxed);
        own.StopDeploymentAsync(d.Id, DeploymentStore.ChildGroup(c, d.Id), TimeSpan.Zero, includeMarked: true, app: ProjectStore.GetApp(c, p.Name))
            .GetAwaiter().GetResult();
        ctx.Tracker.Remove(AppUnits.Deployment(d.Id));
        StopStaleDrain(ctx, c, d, own);
    }

    /// <summary>
    /// A runner killed while the old app drained (behind a proxy, after the proxy was pointed at the new release)
    /// leaves two apps running: the old one, in the draining unit, is what nobody would stop. It goes now (the next
    /// deploy's runner and the listener's start both recover dead runners first). Before the Switch stage succeeded
    /// the draining unit holds the app the proxy still serves from, so it is left alone. Needs cgroups: with process
    /// groups the draining app is not a unit of its own (the next deploy's port claim stops it).
    /// </summary>
    private static void StopStaleDrain(EngineContext ctx, SqliteConnection c, Deployment d, ProjectProcesses own)
    {
        if (!ctx.Tracker.IsAuthoritative) return;
        var drain = AppUnits.Draining(d.Project);
        if (ctx.Tracker.Members(drain, null).Count == 0) return;
        var switched = DeploymentStore.Get(c, d.Id).Stages.Any(s => s.Stage == DeploymentStage.Switch && s.Outcome == StageOutcome.Succeeded);
        if (!switched) return;
        own.StopAppAsync(null, TimeSpan.Zero, null, drain).GetAwaiter().GetResult();
        ctx.Tracker.Remove(drain);
    }
}
