using CicdOps.Engine.Model;
using CicdOps.Engine.Processes;
using CicdOps.Engine.State;
using Microsoft.Data.Sqlite;

namespace CicdOps.Engine.Deploy;

/// <summary>Finds deployments whose runner died and marks them Interrupted, stopping any script they left running.</summary>
internal static class Recovery
{
    /// <summary>For one project (or all when null), inside the caller's write transaction. Returns the ids marked.</summary>
    public static List<long> InterruptDeadRunners(SqliteConnection c, string? project)
    {
        var marked = new List<long>();
        foreach (var d in DeploymentStore.AllWithStatus(c, DeploymentStatus.Running))
        {
            if (project is not null && d.Project != project) continue;
            var runner = DeploymentStore.Runner(c, d.Id);
            var lease = LeaseStore.Get(c, d.Project);
            if (runner is not null && lease is not null && lease.Owner == runner && lease.IsLive) continue;
            if (DeploymentStore.ChildGroup(c, d.Id) is { } pgid && pgid > 1 && pgid != Posix.OwnProcessGroup)
                Posix.Kill(-pgid, Posix.SIGKILL); // an install or health script orphaned by the dead runner
            DeploymentStore.CloseOpenStages(c, d.Id);
            var who = runner is not null && RunnerIdentity.Pid(runner) is { } pid ? $" (pid {pid})" : "";
            DeploymentStore.Finish(c, d.Id, DeploymentStatus.Interrupted, $"the process running this deployment{who} died");
            ProjectStore.Set(c, d.Project, "status", ProjectStatus.Failed.ToString());
            if (lease is not null && lease.Owner == runner) LeaseStore.Release(c, d.Project, lease.Owner);
            marked.Add(d.Id);
        }
        return marked;
    }
}
