namespace CicdOps.Fleet.Mongo;

/// <summary>Rollout records ⇄ documents, and the filters and updates the MongoDB registry sends for fleet actions.</summary>
internal static class MongoRolloutMapping
{
    public static string TargetKey(string rolloutId, string nodeId, FleetTargetKind kind) => $"{rolloutId}/{nodeId}/{kind}";

    public static RolloutDocument ToDocument(FleetRollout r) => new()
    {
        Id = r.Id, Project = r.Project, Action = r.Action, Commit = r.Commit, RequestedBy = r.RequestedBy, RequestedAt = r.RequestedAt.UtcDateTime,
        Waves = r.Waves, WaveSize = r.WaveSize, RollbackOnFailure = r.RollbackOnFailure, WaveTimeoutMs = (long)r.WaveTimeout.TotalMilliseconds,
        Status = r.Status, Reason = r.Reason, FinishedAt = r.FinishedAt?.UtcDateTime,
        Driver = r.Driver is { } v ? new RolloutDriverDocument
        {
            NodeId = v.NodeId, Node = v.Node, Pid = v.Pid, ProcessStartTime = v.ProcessStartTime, SeenAt = v.SeenAt.UtcDateTime,
        } : null,
    };

    public static FleetRollout ToRecord(RolloutDocument d, IEnumerable<RolloutTargetDocument> targets) => new()
    {
        Id = d.Id, Project = d.Project, Action = d.Action, Commit = d.Commit, RequestedBy = d.RequestedBy, RequestedAt = Utc(d.RequestedAt),
        Waves = d.Waves, WaveSize = d.WaveSize, RollbackOnFailure = d.RollbackOnFailure, WaveTimeout = TimeSpan.FromMilliseconds(d.WaveTimeoutMs),
        Status = d.Status, Reason = d.Reason, FinishedAt = d.FinishedAt is { } f ? Utc(f) : null,
        Targets = FleetRolloutOrder.Sort(targets.Select(ToRecord)),
        Driver = d.Driver is { } v ? new FleetDriverProcess
        {
            NodeId = v.NodeId, Node = v.Node, Pid = v.Pid, ProcessStartTime = v.ProcessStartTime, SeenAt = Utc(v.SeenAt),
        } : null,
    };

    public static RolloutTargetDocument ToDocument(FleetRolloutTarget t) => new()
    {
        Id = TargetKey(t.RolloutId, t.NodeId, t.Kind), RolloutId = t.RolloutId, NodeId = t.NodeId, Kind = t.Kind, Node = t.Node, Project = t.Project,
        Action = t.Action, Commit = t.Commit, Wave = t.Wave, Status = t.Status, PreviousCommit = t.PreviousCommit, ResultCommit = t.ResultCommit,
        DeploymentId = t.DeploymentId, Reason = t.Reason, RequestedAt = t.RequestedAt?.UtcDateTime, StartedAt = t.StartedAt?.UtcDateTime,
        FinishedAt = t.FinishedAt?.UtcDateTime,
    };

    public static FleetRolloutTarget ToRecord(RolloutTargetDocument d) => new()
    {
        RolloutId = d.RolloutId, NodeId = d.NodeId, Kind = d.Kind, Node = d.Node, Project = d.Project, Action = d.Action, Commit = d.Commit,
        Wave = d.Wave, Status = d.Status, PreviousCommit = d.PreviousCommit, ResultCommit = d.ResultCommit, DeploymentId = d.DeploymentId,
        Reason = d.Reason, RequestedAt = d.RequestedAt is { } q ? Utc(q) : null, StartedAt = d.StartedAt is { } s ? Utc(s) : null,
        FinishedAt = d.FinishedAt is { } f ? Utc(f) : null,
    };

    private static DateTimeOffset Utc(DateTime t) => new(DateTime.SpecifyKind(t, DateTimeKind.Utc));
}
