using System.Runtime.CompilerServices;
using CicdOps.Engine.Fleet;
using MongoDB.Bson;
using MongoDB.Bson.Serialization;
using MongoDB.Driver;

namespace CicdOps.Fleet.Mongo;

/// <summary>
/// The registry in MongoDB (Atlas or a mongod): collections nodes, projects, deployments, events in the URI's
/// database (default "cicdops"). Writes are upserts on _id (node + key); indexes are created by
/// <see cref="InitializeAsync"/>. Watchers use a change stream where the server has one (replica sets, Atlas)
/// and poll the updatedAt/storedAt/lastSeen indexes otherwise (a standalone mongod; removals are then not seen).
/// </summary>
public sealed partial class MongoRegistry : IFleetRegistry, IFleetRolloutStore
{
    private readonly MongoClient _client;
    private readonly IMongoDatabase _db;
    private IMongoCollection<NodeDocument> Nodes => _db.GetCollection<NodeDocument>("nodes");
    private IMongoCollection<ProjectDocument> Projects => _db.GetCollection<ProjectDocument>("projects");
    private IMongoCollection<DeploymentDocument> Deployments => _db.GetCollection<DeploymentDocument>("deployments");
    private IMongoCollection<EventDocument> Events => _db.GetCollection<EventDocument>("events");
    private static readonly UpdateOptions Upsert = new() { IsUpsert = true };

    public MongoRegistry(string uri)
    {
        MongoUrl url;
        MongoClientSettings settings;
        try
        {
            url = MongoUrl.Create(uri);
            settings = MongoClientSettings.FromUrl(url);
        }
        catch (Exception e) when (e is MongoConfigurationException or ArgumentException or FormatException)
        {
            // The driver's message may quote the connection string: show it masked, and keep no inner exception.
            throw new CicdException(CicdError.InvalidArgument,
                $"The registry URI is not a valid MongoDB connection string: {e.Message.Replace(uri, RegistryAddress.Mask(uri), StringComparison.Ordinal)}",
                null, "See https://www.mongodb.com/docs/manual/reference/connection-string/");
        }
        settings.ApplicationName ??= "cicdops";
        settings.ServerSelectionTimeout = TimeSpan.FromSeconds(5);
        _client = new MongoClient(settings);
        _db = _client.GetDatabase(url.DatabaseName ?? "cicdops");
    }

    public RegistryBackend Backend => RegistryBackend.MongoDb;
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    public Task InitializeAsync(CancellationToken ct) => Guard(async () =>
    {
        await Nodes.Indexes.CreateManyAsync(MongoQueries.NodeIndexes(), ct);
        await Projects.Indexes.CreateManyAsync(MongoQueries.ProjectIndexes(), ct);
        await Deployments.Indexes.CreateManyAsync(MongoQueries.DeploymentIndexes(), ct);
        await Events.Indexes.CreateManyAsync(MongoQueries.EventIndexes(), ct);
        await InitializeRolloutsAsync(ct);
    });

    public Task PublishNodeAsync(FleetNode node, CancellationToken ct) =>
        Guard(() => Nodes.UpdateOneAsync(MongoQueries.Node(node.Id), MongoQueries.NodeReport(node), Upsert, ct));

    public Task UpsertProjectsAsync(IReadOnlyList<FleetProject> projects, CancellationToken ct) => projects.Count == 0 ? Task.CompletedTask :
        Guard(() => Projects.BulkWriteAsync(projects.Select(p => new UpdateOneModel<ProjectDocument>(
            MongoQueries.Project(p.NodeId, p.Name), MongoQueries.ProjectUpsert(p)) { IsUpsert = true }), cancellationToken: ct));

    public Task RemoveProjectsAsync(string nodeId, IReadOnlyList<string> names, CancellationToken ct) => names.Count == 0 ? Task.CompletedTask :
        Guard(() => Projects.DeleteManyAsync(MongoQueries.ProjectsNamed(nodeId, names), ct));

    public Task UpsertDeploymentsAsync(IReadOnlyList<FleetDeployment> deployments, CancellationToken ct) => deployments.Count == 0 ? Task.CompletedTask :
        Guard(() => Deployments.BulkWriteAsync(deployments.Select(d => new UpdateOneModel<DeploymentDocument>(
            MongoQueries.Deployment(d.NodeId, d.Id), MongoQueries.DeploymentUpsert(d)) { IsUpsert = true }), cancellationToken: ct));

    public Task AppendEventsAsync(IReadOnlyList<FleetEvent> events, CancellationToken ct) => events.Count == 0 ? Task.CompletedTask :
        Guard(() => Events.BulkWriteAsync(events.Select(e => new UpdateOneModel<EventDocument>(
            MongoQueries.Event(e.NodeId, e.Sequence), MongoQueries.EventInsert(e)) { IsUpsert = true }), cancellationToken: ct));

    public Task TrimAsync(string nodeId, int deployments, int events, CancellationToken ct) => Guard(async () =>
    {
        var lastDeployment = await Deployments.Find(MongoQueries.OfNode<DeploymentDocument>(nodeId)).SortByDescending(d => d.DeploymentId)
            .Skip(deployments - 1).Limit(1).FirstOrDefaultAsync(ct);
        if (lastDeployment is not null)
            await Deployments.DeleteManyAsync(MongoQueries.DeploymentsBefore(nodeId, lastDeployment.DeploymentId), ct);
        var lastEvent = await Events.Find(MongoQueries.OfNode<EventDocument>(nodeId)).SortByDescending(d => d.Sequence)
            .Skip(events - 1).Limit(1).FirstOrDefaultAsync(ct);
        if (lastEvent is not null)
            await Events.DeleteManyAsync(MongoQueries.EventsBefore(nodeId, lastEvent.Sequence), ct);
    });

    public Task RemoveNodeAsync(string nodeId, CancellationToken ct) => Guard(async () =>
    {
        await Projects.DeleteManyAsync(MongoQueries.OfNode<ProjectDocument>(nodeId), ct);
        await Deployments.DeleteManyAsync(MongoQueries.OfNode<DeploymentDocument>(nodeId), ct);
        await Events.DeleteManyAsync(MongoQueries.OfNode<EventDocument>(nodeId), ct);
        await Nodes.DeleteOneAsync(MongoQueries.Node(nodeId), ct);
    });

    public Task<FleetSnapshot> GetSnapshotAsync(int recent, CancellationToken ct) => Guard(async () =>
    {
        var now = await ServerTimeAsync(ct);
        var nodes = await Nodes.Find(FilterDefinition<NodeDocument>.Empty).SortBy(d => d.Name).ToListAsync(ct);
        var projects = await Projects.Find(FilterDefinition<ProjectDocument>.Empty).SortBy(d => d.Name).ThenBy(d => d.Node).ToListAsync(ct);
        // Limit(0) means "no limit" to MongoDB: ask only when some are wanted.
        var deployments = recent <= 0 ? new List<DeploymentDocument>()
            : await Deployments.Find(FilterDefinition<DeploymentDocument>.Empty).SortByDescending(d => d.QueuedAt).Limit(recent).ToListAsync(ct);
        var events = recent <= 0 ? new List<EventDocument>()
            : await Events.Find(FilterDefinition<EventDocument>.Empty).SortByDescending(d => d.At).Limit(recent).ToListAsync(ct);
        return new FleetSnapshot
        {
            Nodes = nodes.Select(n => MongoMapping.ToRecord(n, now)).ToList(),
            Projects = projects.Select(MongoMapping.ToRecord).ToList(),
            Deployments = deployments.Select(MongoMapping.ToRecord).ToList(),
            Events = events.Select(MongoMapping.ToRecord).ToList(),
            TakenAt = now,
        };
    });

    public async IAsyncEnumerable<FleetChange> WatchAsync([EnumeratorCancellation] CancellationToken ct)
    {
        IChangeStreamCursor<ChangeStreamDocument<BsonDocument>>? cursor = null;
        try
        {
            var options = new ChangeStreamOptions { FullDocument = ChangeStreamFullDocumentOption.UpdateLookup };
            cursor = await _db.WatchAsync(options, ct);
        }
        catch (MongoCommandException e) when (e.Code is 40573 or 40324 or 136)
        {
            // Change streams need a replica set; a standalone server is polled instead.
        }
        if (cursor is null)
        {
            await foreach (var change in PollAsync(ct)) yield return change;
            yield break;
        }
        using (cursor)
        {
            while (await cursor.MoveNextAsync(ct))
                foreach (var doc in cursor.Current)
                    if (await ToChangeAsync(doc, ct) is { } change) yield return change;
        }
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<FleetChange?> ToChangeAsync(ChangeStreamDocument<BsonDocument> c, CancellationToken ct)
    {
        var id = c.DocumentKey?.GetValue("_id", BsonNull.Value);
        if (id is null || !id.IsString) return null;
        var key = id.AsString;
        var nodeId = key.Split('/')[0];
        var deleted = c.OperationType == ChangeStreamOperationType.Delete;
        var full = c.FullDocument;
        switch (c.CollectionNamespace?.CollectionName)
        {
            case "nodes":
                if (deleted) return new FleetChange { Kind = FleetChangeKind.NodeRemoved, NodeId = key };
                if (full is null) return null;
                return new FleetChange { Kind = FleetChangeKind.Node, NodeId = key,
                    NodeRecord = MongoMapping.ToRecord(BsonSerializer.Deserialize<NodeDocument>(full), await ServerTimeAsync(ct)) };
            case "projects":
                if (deleted) return new FleetChange { Kind = FleetChangeKind.ProjectRemoved, NodeId = nodeId, Project = key[(nodeId.Length + 1)..] };
                if (full is null) return null;
                var p = MongoMapping.ToRecord(BsonSerializer.Deserialize<ProjectDocument>(full));
                return new FleetChange { Kind = FleetChangeKind.Project, NodeId = p.NodeId, Project = p.Name, ProjectRecord = p };
            case "deployments":
                if (deleted || full is null) return null;
                var d = MongoMapping.ToRecord(BsonSerializer.Deserialize<DeploymentDocument>(full));
                return new FleetChange { Kind = FleetChangeKind.Deployment, NodeId = d.NodeId, Project = d.Project, Deployment = d };
            case "events":
                if (deleted || full is null) return null;
                var e = MongoMapping.ToRecord(BsonSerializer.Deserialize<EventDocument>(full));
                return new FleetChange { Kind = FleetChangeKind.Event, NodeId = e.NodeId, Project = e.Project, Event = e };
            default:
                return null;
        }
    }

    /// <summary>Polling for servers without change streams: what changed since the last look, by server time.</summary>
    private async IAsyncEnumerable<FleetChange> PollAsync([EnumeratorCancellation] CancellationToken ct)
    {
        var since = (await ServerTimeAsync(ct)).UtcDateTime;
        var states = new Dictionary<string, FleetNodeState>();
        while (!ct.IsCancellationRequested)
        {
            await Task.Delay(PollInterval, ct);
            var now = await ServerTimeAsync(ct);
            foreach (var n in await Nodes.Find(FilterDefinition<NodeDocument>.Empty).ToListAsync(ct))
            {
                var node = MongoMapping.ToRecord(n, now);
                var known = states.TryGetValue(node.Id, out var s) ? s : (FleetNodeState?)null;
                states[node.Id] = node.State;
                if (n.LastSeen > since || (node.State == FleetNodeState.Stale && known == FleetNodeState.Online))
                    yield return new FleetChange { Kind = FleetChangeKind.Node, NodeId = node.Id, NodeRecord = node };
            }
            foreach (var p in await Projects.Find(d => d.UpdatedAt > since).ToListAsync(ct))
                yield return new FleetChange { Kind = FleetChangeKind.Project, NodeId = p.NodeId, Project = p.Name, ProjectRecord = MongoMapping.ToRecord(p) };
            foreach (var d in await Deployments.Find(x => x.UpdatedAt > since).ToListAsync(ct))
                yield return new FleetChange { Kind = FleetChangeKind.Deployment, NodeId = d.NodeId, Project = d.Project, Deployment = MongoMapping.ToRecord(d) };
            foreach (var e in await Events.Find(x => x.StoredAt > since).ToListAsync(ct))
                yield return new FleetChange { Kind = FleetChangeKind.Event, NodeId = e.NodeId, Project = e.Project, Event = MongoMapping.ToRecord(e) };
            since = now.UtcDateTime;
        }
    }

    /// <summary>The server's clock (hello's localTime), so staleness does not depend on this host's clock.</summary>
    private async Task<DateTimeOffset> ServerTimeAsync(CancellationToken ct)
    {
        var hello = await _db.RunCommandAsync<BsonDocument>(new BsonDocument("hello", 1), cancellationToken: ct);
        return hello.TryGetValue("localTime", out var t) && t.IsValidDateTime
            ? new DateTimeOffset(DateTime.SpecifyKind(t.ToUniversalTime(), DateTimeKind.Utc))
            : DateTimeOffset.UtcNow;
    }

    private static async Task Guard(Func<Task> work) => await Guard(async () => { await work(); return 0; });

    private static async Task<T> Guard<T>(Func<Task<T>> work)
    {
        try { return await work(); }
        catch (Exception e) when (e is TimeoutException or MongoConnectionException or MongoAuthenticationException)
        {
            throw new CicdException(CicdError.FleetRegistryUnavailable, $"The fleet registry (MongoDB) cannot be reached: {e.GetType().Name}.", null,
                "Check that the registry server is up and that the URI given to `fleet join` is right.", e);
        }
    }
}
