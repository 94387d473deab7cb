namespace CicdOps.Fleet.Mongo;

/// <summary>Contract records ⇄ registry documents.</summary>
internal static class MongoMapping
{
    public static string ProjectKey(string nodeId, string name) => $"{nodeId}/{name}";
    public static string DeploymentKey(string nodeId, long id) => $"{nodeId}/{id}";
    public static string EventKey(string nodeId, long seq) => $"{nodeId}/{seq}";

    public static NodeDocument ToDocument(FleetNode n) => new()
    {
        Id = n.Id, Name = n.Name, Version = n.Version, IntervalMs = (int)n.SyncInterval.TotalMilliseconds, LastSeen = n.LastSeen.UtcDateTime,
        Host = n.Host is not { } h ? null : new HostDocument
        {
            CpuPercent = h.CpuPercent, MemoryTotal = h.MemoryTotalBytes, MemoryAvailable = h.MemoryAvailableBytes,
            DiskFree = h.DataDiskFreeBytes, Load1 = h.Load1,
        },
    };

    public static FleetNode ToRecord(NodeDocument d, DateTimeOffset now)
    {
        var lastSeen = Utc(d.LastSeen);
        var interval = TimeSpan.FromMilliseconds(d.IntervalMs);
        return new FleetNode
        {
            Id = d.Id, Name = d.Name, Version = d.Version, SyncInterval = interval, LastSeen = lastSeen,
            State = FleetNodeStaleness.StateAt(lastSeen, interval, now),
            Host = d.Host is not { } h ? null : new HostStats
            {
                CpuPercent = h.CpuPercent, MemoryTotalBytes = h.MemoryTotal, MemoryAvailableBytes = h.MemoryAvailable,
                DataDiskFreeBytes = h.DiskFree, Load1 = h.Load1,
            },
        };
    }

    public static ProjectDocument ToDocument(FleetProject p) => new()
    {
        Id = ProjectKey(p.NodeId, p.Name), NodeId = p.NodeId, Node = p.Node, Name = p.Name, Repository = p.Repository, Branch = p.Branch,
        Status = p.Status, Commit = p.Commit, LastGoodCommit = p.LastGoodCommit, PinnedCommit = p.PinnedCommit, Health = p.Health,
        CpuPercent = p.CpuPercent, MemoryBytes = p.MemoryBytes, UpdatedAt = p.UpdatedAt.UtcDateTime,
    };

    public static FleetProject ToRecord(ProjectDocument d) => new()
    {
        NodeId = d.NodeId, Node = d.Node, Name = d.Name, Repository = d.Repository, Branch = d.Branch, Status = d.Status,
        Commit = d.Commit, LastGoodCommit = d.LastGoodCommit, PinnedCommit = d.PinnedCommit, Health = d.Health,
        CpuPercent = d.CpuPercent, MemoryBytes = d.MemoryBytes, UpdatedAt = Utc(d.UpdatedAt),
    };

    public static DeploymentDocument ToDocument(FleetDeployment x) => new()
    {
        Id = DeploymentKey(x.NodeId, x.Id), NodeId = x.NodeId, Node = x.Node, DeploymentId = x.Id, Project = x.Project, Commit = x.Commit,
        Trigger = x.Trigger, Status = x.Status, Reason = x.Reason, QueuedAt = x.QueuedAt.UtcDateTime,
        StartedAt = x.StartedAt?.UtcDateTime, FinishedAt = x.FinishedAt?.UtcDateTime,
    };

    public static FleetDeployment ToRecord(DeploymentDocument d) => new()
    {
        NodeId = d.NodeId, Node = d.Node, Id = d.DeploymentId, Project = d.Project, Commit = d.Commit, Trigger = d.Trigger, Status = d.Status,
        Reason = d.Reason, QueuedAt = Utc(d.QueuedAt), StartedAt = d.StartedAt is { } s ? Utc(s) : null,
        FinishedAt = d.FinishedAt is { } f ? Utc(f) : null,
    };

    public static EventDocument ToDocument(FleetEvent e) => new()
    {
        Id = EventKey(e.NodeId, e.Sequence), NodeId = e.NodeId, Node = e.Node, Sequence = e.Sequence, At = e.At.UtcDateTime,
        Project = e.Project, Kind = e.Kind, Message = e.Message,
    };

    public static FleetEvent ToRecord(EventDocument d) => new()
    {
        NodeId = d.NodeId, Node = d.Node, Sequence = d.Sequence, At = Utc(d.At), Project = d.Project, Kind = d.Kind, Message = d.Message,
    };

    // The driver reads BSON dates back as UTC DateTimes by default; say so explicitly for the offset.
    private static DateTimeOffset Utc(DateTime t) => new(DateTime.SpecifyKind(t, DateTimeKind.Utc));
}
