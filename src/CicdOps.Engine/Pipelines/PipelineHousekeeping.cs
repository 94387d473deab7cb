using CicdOps.Engine.Processes;
using CicdOps.Engine.State;

namespace CicdOps.Engine.Pipelines;

/// <summary>
/// What runs before each pipeline run starts: runs whose runner died are marked Failed ("runner died") and what they
/// left running is stopped with their cgroup; failed runs' workspaces past their keeping time are removed; expired
/// caches and artifacts are deleted; finished runs beyond the number kept per project are removed with their logs. Each step is cheap when there is nothing to do (one query each).
/// </summary>
internal static class PipelineHousekeeping
{
    public static void Run(EngineContext ctx, DateTimeOffset now)
    {
        RecoverDeadRuns(ctx, now);
        RemoveDueWorkspaces(ctx, now);
        PipelineFileStore.For(ctx).Sweep(now);
        PipelineRunRetention.Prune(ctx, ctx.Options.PipelineRunsKept);
    }

    /// <summary>
    /// A listener or CLI that died mid-run (kill -9, OOM, reboot) leaves its row Running and its commands running in
    /// the run's cgroup, as the account, holding the workspace. Marking the row is guarded (status still Running or
    /// Queued), so of several processes starting runs at once exactly one stops the leftovers.
    /// </summary>
    public static void RecoverDeadRuns(EngineContext ctx, DateTimeOffset now)
    {
        var keepUntil = now + ctx.Options.FailedWorkspaceRetention;
        foreach (var (runId, _, pid) in ctx.Db.Read(PipelineWorkspaceRows.Orphaned))
        {
            var reason = $"runner died: the process running it{(pid is { } p ? $" (pid {p})" : "")} ended before the run finished";
            if (!ctx.Db.Write(c => PipelineWorkspaceRows.MarkRunnerDied(c, runId, reason, now, keepUntil))) continue;
            RunUnit.StopLeftovers(ctx.Tracker, AppUnits.PipelineRun(runId));
        }
    }

    public static void RemoveDueWorkspaces(EngineContext ctx, DateTimeOffset now)
    {
        foreach (var (runId, project, workspace, serviceUser) in ctx.Db.Read(c => PipelineWorkspaceRows.Due(c, now)))
        {
            try
            {
                var account = ctx.Sandbox.ResolveAccount(serviceUser);
                // Only the path a run of this project would have used: the row is the engine's, but a check costs nothing.
                if (workspace == Path.Combine(PipelineWorkspace.RootFor(ctx.Sandbox, account, ctx.Layout, project), runId))
                    PipelineWorkspace.Remove(ctx.Sandbox, account, workspace);
            }
            catch (CicdException) { /* the account is gone, and its home with it */ }
            ctx.Db.Write(c => PipelineWorkspaceRows.Keep(c, runId, null));
        }
    }
}
