using CicdOps.Engine.Fleet;

namespace CicdOps.Fleet.Sync;

/// <summary>The local (SQLite) state as fleet records: what this node publishes.</summary>
internal static class LocalState
{
    public static FleetProject Project(Project p, NodeIdentity node) => new()
    {
        NodeId = node.Id, Node = node.Name, Name = p.Name, Repository = p.Repository.Contains("://", StringComparison.Ordinal) ? RegistryAddress.Mask(p.Repository) : p.Repository, Branch = p.Branch,
        Status = p.Status, Commit = p.CurrentCommit, LastGoodCommit = p.LastGoodCommit, PinnedCommit = p.PinnedCommit,
        Health = p.Status switch
        {
            ProjectStatus.Healthy => FleetHealth.Healthy,
            ProjectStatus.Failed => FleetHealth.Unhealthy,
            _ => FleetHealth.Unknown,
        },
        UpdatedAt = p.UpdatedAt,
    };

    public static FleetDeployment Deployment(Deployment d, NodeIdentity node) => new()
    {
        NodeId = node.Id, Node = node.Name, Id = d.Id, Project = d.Project, Commit = d.Commit, Trigger = d.Trigger, Status = d.Status,
        Reason = d.Reason, QueuedAt = d.QueuedAt, StartedAt = d.StartedAt, FinishedAt = d.FinishedAt,
    };

    // A repository URL may carry a token (https://user:token@host/…): the fleet sees it masked.

    /// <summary>A project record without its timestamp, for "did anything change" comparisons.</summary>
    public static FleetProject Comparable(FleetProject p) => p with { UpdatedAt = default };
}
