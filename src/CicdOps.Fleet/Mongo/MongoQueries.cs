using MongoDB.Driver;

namespace CicdOps.Fleet.Mongo;

/// <summary>
/// The filters and updates the MongoDB registry sends, built in one place so tests can render them with the
/// driver's serializer registry and check the BSON without a server.
/// </summary>
internal static class MongoQueries
{
    public static FilterDefinition<NodeDocument> Node(string nodeId) => Builders<NodeDocument>.Filter.Eq(d => d.Id, nodeId);

    /// <summary>Node report: every field set, lastSeen from the server's clock.</summary>
    public static UpdateDefinition<NodeDocument> NodeReport(FleetNode n)
    {
        var doc = MongoMapping.ToDocument(n);
        return Builders<NodeDocument>.Update
            .Set(d => d.Name, doc.Name).Set(d => d.Version, doc.Version).Set(d => d.IntervalMs, doc.IntervalMs)
            .Set(d => d.Host, doc.Host).CurrentDate(d => d.LastSeen);
    }

    public static FilterDefinition<ProjectDocument> Project(string nodeId, string name) =>
        Builders<ProjectDocument>.Filter.Eq(d => d.Id, MongoMapping.ProjectKey(nodeId, name));

    public static UpdateDefinition<ProjectDocument> ProjectUpsert(FleetProject p)
    {
        var doc = MongoMapping.ToDocument(p);
        return Builders<ProjectDocument>.Update
            .Set(d => d.NodeId, doc.NodeId).Set(d => d.Node, doc.Node).Set(d => d.Name, doc.Name)
            .Set(d => d.Repository, doc.Repository).Set(d => d.Branch, doc.Branch).Set(d => d.Status, doc.Status)
            .Set(d => d.Commit, doc.Commit).Set(d => d.LastGoodCommit, doc.LastGoodCommit).Set(d => d.PinnedCommit, doc.PinnedCommit)
            .Set(d => d.Health, doc.Health).Set(d => d.CpuPercent, doc.CpuPercent).Set(d => d.MemoryBytes, doc.MemoryBytes)
            .CurrentDate(d => d.UpdatedAt);
    }

    public static FilterDefinition<ProjectDocument> ProjectsNamed(string nodeId, IEnumerable<string> names) =>
        Builders<ProjectDocument>.Filter.In(d => d.Id, names.Select(n => MongoMapping.ProjectKey(nodeId, n)));

    public static FilterDefinition<DeploymentDocument> Deployment(string nodeId, long id) =>
        Builders<DeploymentDocument>.Filter.Eq(d => d.Id, MongoMapping.DeploymentKey(nodeId, id));

    public static UpdateDefinition<DeploymentDocument> DeploymentUpsert(FleetDeployment x)
    {
        var doc = MongoMapping.ToDocument(x);
        return Builders<DeploymentDocument>.Update
            .Set(d => d.NodeId, doc.NodeId).Set(d => d.Node, doc.Node).Set(d => d.DeploymentId, doc.DeploymentId)
            .Set(d => d.Project, doc.Project).Set(d => d.Commit, doc.Commit).Set(d => d.Trigger, doc.Trigger)
            .Set(d => d.Status, doc.Status).Set(d => d.Reason, doc.Reason).Set(d => d.QueuedAt, doc.QueuedAt)
            .Set(d => d.StartedAt, doc.StartedAt).Set(d => d.FinishedAt, doc.FinishedAt).CurrentDate(d => d.UpdatedAt);
    }

    public static FilterDefinition<EventDocument> Event(string nodeId, long seq) =>
        Builders<EventDocument>.Filter.Eq(d => d.Id, MongoMapping.EventKey(nodeId, seq));

    /// <summary>Events are immutable: a resent one (same node and sequence) changes nothing.</summary>
    public static UpdateDefinition<EventDocument> EventInsert(FleetEvent e)
    {
        var doc = MongoMapping.ToDocument(e);
        return Builders<EventDocument>.Update
            .SetOnInsert(d => d.NodeId, doc.NodeId).SetOnInsert(d => d.Node, doc.Node).SetOnInsert(d => d.Sequence, doc.Sequence)
            .SetOnInsert(d => d.At, doc.At).SetOnInsert(d => d.Project, doc.Project).SetOnInsert(d => d.Kind, doc.Kind)
            .SetOnInsert(d => d.Message, doc.Message).SetOnInsert(d => d.StoredAt, DateTime.UtcNow);
    }

    public static FilterDefinition<DeploymentDocument> DeploymentsBefore(string nodeId, long id) =>
        Builders<DeploymentDocument>.Filter.Eq(d => d.NodeId, nodeId) & Builders<DeploymentDocument>.Filter.Lt(d => d.DeploymentId, id);

    public static FilterDefinition<EventDocument> EventsBefore(string nodeId, long seq) =>
        Builders<EventDocument>.Filter.Eq(d => d.NodeId, nodeId) & Builders<EventDocument>.Filter.Lt(d => d.Sequence, seq);

    public static FilterDefinition<T> OfNode<T>(string nodeId) => Builders<T>.Filter.Eq("nodeId", nodeId);

    public static IEnumerable<CreateIndexModel<ProjectDocument>> ProjectIndexes() => new[]
    {
        new CreateIndexModel<ProjectDocument>(Builders<ProjectDocument>.IndexKeys.Ascending(d => d.NodeId).Ascending(d => d.Name),
            new CreateIndexOptions { Name = "node_project", Unique = true }),
        new CreateIndexModel<ProjectDocument>(Builders<ProjectDocument>.IndexKeys.Ascending(d => d.UpdatedAt), new CreateIndexOptions { Name = "updated" }),
    };

    public static IEnumerable<CreateIndexModel<DeploymentDocument>> DeploymentIndexes() => new[]
    {
        new CreateIndexModel<DeploymentDocument>(Builders<DeploymentDocument>.IndexKeys.Ascending(d => d.NodeId).Ascending(d => d.DeploymentId),
            new CreateIndexOptions { Name = "node_deployment", Unique = true }),
        new CreateIndexModel<DeploymentDocument>(Builders<DeploymentDocument>.IndexKeys.Descending(d => d.QueuedAt), new CreateIndexOptions { Name = "recent" }),
        new CreateIndexModel<DeploymentDocument>(Builders<DeploymentDocument>.IndexKeys.Ascending(d => d.UpdatedAt), new CreateIndexOptions { Name = "updated" }),
    };

    public static IEnumerable<CreateIndexModel<EventDocument>> EventIndexes() => new[]
    {
        new CreateIndexModel<EventDocument>(Builders<EventDocument>.IndexKeys.Ascending(d => d.NodeId).Ascending(d => d.Sequence),
            new CreateIndexOptions { Name = "node_seq", Unique = true }),
        new CreateIndexModel<EventDocument>(Builders<EventDocument>.IndexKeys.Descending(d => d.At), new CreateIndexOptions { Name = "recent" }),
        new CreateIndexModel<EventDocument>(Builders<EventDocument>.IndexKeys.Ascending(d => d.StoredAt), new CreateIndexOptions { Name = "stored" }),
    };

    public static IEnumerable<CreateIndexModel<NodeDocument>> NodeIndexes() => new[]
    {
        new CreateIndexModel<NodeDocument>(Builders<NodeDocument>.IndexKeys.Ascending(d => d.LastSeen), new CreateIndexOptions { Name = "lastSeen" }),
    };
}
