using CicdOps.Engine.Fleet;

namespace CicdOps.Fleet.Sync;

/// <summary>The local (SQLite) state as fleet records: what this node publishes.</summary>
internal static class LocalState
{
    /// <param name="app">The sampler's figures for the project's app (null when there are none).</param>
    public static FleetProject Project(Project p, NodeIdentity node, AppStats? app = null) => new()
    {
        NodeId = node.Id, Node = node.Name, Name = p.Name, Repository = p.Repository.Contains("://", StringComparison.Ordinal) ? RegistryAddress.Mask(p.Repository) : p.Repository, Branch = p.Branch,
        Status = p.Status, Commit = p.CurrentCommit, LastGoodCommit = p.LastGoodCommit, PinnedCommit = p.PinnedCommit,
        // The sampler's verdict when it has one (a Healthy project whose process just died is Unhealthy already).
        Health = app?.Health switch
        {
            AppHealth.Healthy => FleetHealth.Healthy,
            AppHealth.Unhealthy => FleetHealth.Unhealthy,
            _ => p.Status switch
            {
                ProjectStatus.Healthy => FleetHealth.Healthy,
                ProjectStatus.Failed or ProjectStatus.Unhealthy => FleetHealth.Unhealthy,
                _ => FleetHealth.Unknown,
            },
        },
        CpuPercent = app?.CpuPercent,
        MemoryBytes = app?.Processes > 0 ? app.MemoryBytes : null,
        UpdatedAt = p.UpdatedAt,
    };

    public static FleetDeployment Deployment(Deployment d, NodeIdentity node) => new()
    {
        NodeId = node.Id, Node = node.Name, Id = d.Id, Project = d.Project, Commit = d.Commit, Trigger = d.Trigger, Status = d.Status,
        Reason = d.Reason, QueuedAt = d.QueuedAt, StartedAt = d.StartedAt, FinishedAt = d.FinishedAt,
    };

    /// <summary>The fleet's kind for a watchdog event of the node's log; null for what is not the watchdog's (an operator's action).</summary>
    public static FleetEventKind? EventKind(CicdEventKind kind) => kind switch
    {
        CicdEventKind.Recovered => FleetEventKind.AppRecovered,
        CicdEventKind.GaveUp => FleetEventKind.WatchdogGaveUp,
        CicdEventKind.Restarting => FleetEventKind.AppRestarting,
        CicdEventKind.Operator => null,
        _ => FleetEventKind.AppUnhealthy,
    };

    // A repository URL may carry a token (https://user:token@host/…): the fleet sees it masked.

    /// <summary>A project record without its timestamp, for "did anything change" comparisons.</summary>
    public static FleetProject Comparable(FleetProject p) => p with { UpdatedAt = default };
}
