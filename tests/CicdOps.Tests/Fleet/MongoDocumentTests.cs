using CicdOps.Fleet.Mongo;
using MongoDB.Bson;
using MongoDB.Bson.Serialization;
using MongoDB.Driver;

namespace CicdOps.Tests.Fleet;

/// <summary>
/// What can be checked of the MongoDB registry without a server (there is none on this machine): the documents
/// through the driver's own serializers, and the filters and updates the adapter sends, rendered by the driver.
/// The contract suite against a real server is MongoRegistryContractTests (built when CICDOPS_TEST_MONGODB_URI is set).
/// </summary>
public sealed class MongoDocumentTests
{
    private static readonly DateTimeOffset T = new(2026, 11, 30, 12, 34, 56, 789, TimeSpan.Zero);

    private static BsonDocument Render<T>(FilterDefinition<T> f) =>
        f.Render(new RenderArgs<T>(BsonSerializer.SerializerRegistry.GetSerializer<T>(), BsonSerializer.SerializerRegistry));

    private static BsonDocument Render<T>(UpdateDefinition<T> u) =>
        u.Render(new RenderArgs<T>(BsonSerializer.SerializerRegistry.GetSerializer<T>(), BsonSerializer.SerializerRegistry)).AsBsonDocument;

    private static T RoundTrip<T>(T doc) => BsonSerializer.Deserialize<T>(doc.ToBsonDocument());

    private static readonly FleetProject Project = new()
    {
        NodeId = "0123abcd", Node = "web-01", Name = "shop", Repository = "https://git.example/shop.git", Branch = "main",
        Status = ProjectStatus.Failed, Commit = "abc123", LastGoodCommit = "def456", PinnedCommit = null, Health = FleetHealth.Unhealthy,
        CpuPercent = 3.5, MemoryBytes = 42 << 20, UpdatedAt = T,
    };

    [Fact]
    public void A_project_document_is_keyed_by_node_and_project_and_stores_enums_as_strings()
    {
        var bson = MongoMapping.ToDocument(Project).ToBsonDocument();

        Assert.Equal("0123abcd/shop", bson["_id"].AsString);
        Assert.Equal(("Failed", "Unhealthy"), (bson["status"].AsString, bson["health"].AsString));
        Assert.Equal(BsonType.DateTime, bson["updatedAt"].BsonType);
        Assert.Equal(BsonNull.Value, bson["pinnedCommit"]);
        Assert.Equal(new[] { "_id", "nodeId", "node", "name", "repository", "branch", "status", "commit", "lastGoodCommit", "pinnedCommit",
            "health", "cpuPercent", "memoryBytes", "updatedAt" }, bson.Names);
        Assert.Equal(Project, MongoMapping.ToRecord(RoundTrip(MongoMapping.ToDocument(Project))));
    }

    [Fact]
    public void Node_deployment_and_event_documents_round_trip()
    {
        var node = new FleetNode
        {
            Id = "0123abcd", Name = "web-01", Version = "0.1.0", LastSeen = T, SyncInterval = TimeSpan.FromSeconds(5),
            Host = new HostStats { CpuPercent = null, MemoryTotalBytes = 1L << 33, MemoryAvailableBytes = 1L << 32, DataDiskFreeBytes = 1L << 35, Load1 = 0.5 },
        };
        var back = MongoMapping.ToRecord(RoundTrip(MongoMapping.ToDocument(node)), T.AddSeconds(1));
        Assert.Equal(node with { State = FleetNodeState.Online }, back);
        Assert.Equal(FleetNodeState.Stale, MongoMapping.ToRecord(MongoMapping.ToDocument(node), T.AddSeconds(16)).State);
        Assert.Equal(BsonType.Document, MongoMapping.ToDocument(node).ToBsonDocument()["host"].BsonType);

        var d = new FleetDeployment
        {
            NodeId = "0123abcd", Node = "web-01", Id = 17, Project = "shop", Commit = "abc", Trigger = DeploymentTrigger.Webhook,
            Status = DeploymentStatus.RolledBack, Reason = "unhealthy", QueuedAt = T, StartedAt = T.AddSeconds(1), FinishedAt = null,
        };
        var dBson = MongoMapping.ToDocument(d).ToBsonDocument();
        Assert.Equal(("0123abcd/17", 17L, "Webhook", "RolledBack"), (dBson["_id"].AsString, dBson["deploymentId"].AsInt64, dBson["trigger"].AsString, dBson["status"].AsString));
        Assert.Equal(d, MongoMapping.ToRecord(RoundTrip(MongoMapping.ToDocument(d))));

        var e = new FleetEvent { NodeId = "0123abcd", Node = "web-01", Sequence = 99, At = T, Project = null, Kind = FleetEventKind.NodeJoined, Message = "hello" };
        Assert.Equal("0123abcd/99", MongoMapping.ToDocument(e).ToBsonDocument()["_id"].AsString);
        Assert.Equal(e, MongoMapping.ToRecord(RoundTrip(MongoMapping.ToDocument(e))));
    }

    [Fact]
    public void A_project_upsert_filters_on_the_key_sets_every_field_and_takes_the_time_from_the_server()
    {
        Assert.Equal(BsonDocument.Parse("{ _id: '0123abcd/shop' }"), Render(MongoQueries.Project("0123abcd", "shop")));
        var update = Render(MongoQueries.ProjectUpsert(Project));
        Assert.Equal(BsonDocument.Parse("{ updatedAt: true }"), update["$currentDate"].AsBsonDocument);
        var set = update["$set"].AsBsonDocument;
        Assert.Equal(("0123abcd", "shop", "Failed", "Unhealthy", "abc123"),
            (set["nodeId"].AsString, set["name"].AsString, set["status"].AsString, set["health"].AsString, set["commit"].AsString));
        Assert.Equal(BsonNull.Value, set["pinnedCommit"]);
        Assert.False(set.Contains("_id"));
        Assert.False(set.Contains("updatedAt"));
    }

    [Fact]
    public void A_node_report_sets_last_seen_from_the_server_clock()
    {
        var node = new FleetNode { Id = "n1", Name = "web-01", Version = "0.1.0", SyncInterval = TimeSpan.FromSeconds(3) };
        var update = Render(MongoQueries.NodeReport(node));
        Assert.Equal(BsonDocument.Parse("{ lastSeen: true }"), update["$currentDate"].AsBsonDocument);
        Assert.Equal(BsonDocument.Parse("{ name: 'web-01', version: '0.1.0', intervalMs: 3000, host: null }"), update["$set"].AsBsonDocument);
        Assert.Equal(BsonDocument.Parse("{ _id: 'n1' }"), Render(MongoQueries.Node("n1")));
    }

    [Fact]
    public void Events_are_only_ever_inserted()
    {
        var e = new FleetEvent { NodeId = "n1", Node = "web-01", Sequence = 5, At = T, Project = "shop", Kind = FleetEventKind.DeploymentFinished, Message = "done" };
        var update = Render(MongoQueries.EventInsert(e));
        Assert.Equal(new[] { "$setOnInsert" }, update.Names);
        Assert.Equal("DeploymentFinished", update["$setOnInsert"]["kind"].AsString);
        Assert.Equal(BsonDocument.Parse("{ _id: 'n1/5' }"), Render(MongoQueries.Event("n1", 5)));
    }

    [Fact]
    public void Removing_projects_and_a_node_filters_on_that_node_only()
    {
        Assert.Equal(BsonDocument.Parse("{ _id: { $in: ['n1/a', 'n1/b'] } }"), Render(MongoQueries.ProjectsNamed("n1", new[] { "a", "b" })));
        Assert.Equal(BsonDocument.Parse("{ nodeId: 'n1' }"), Render(MongoQueries.OfNode<DeploymentDocument>("n1")));
        Assert.Equal(BsonDocument.Parse("{ nodeId: 'n1', deploymentId: { $lt: NumberLong(7) } }"), Render(MongoQueries.DeploymentsBefore("n1", 7)));
        Assert.Equal(BsonDocument.Parse("{ nodeId: 'n1', seq: { $lt: NumberLong(9) } }"), Render(MongoQueries.EventsBefore("n1", 9)));
    }

    [Fact]
    public void Indexes_make_node_and_key_unique()
    {
        var project = MongoQueries.ProjectIndexes().First();
        Assert.True(project.Options.Unique);
        var keys = project.Keys.Render(new RenderArgs<ProjectDocument>(BsonSerializer.SerializerRegistry.GetSerializer<ProjectDocument>(), BsonSerializer.SerializerRegistry));
        Assert.Equal(BsonDocument.Parse("{ nodeId: 1, name: 1 }"), keys);
        Assert.True(MongoQueries.DeploymentIndexes().First().Options.Unique);
        Assert.True(MongoQueries.EventIndexes().First().Options.Unique);
    }

    [Theory]
    [InlineData("mongodb://u:secretpw@host:notaport/db")]
    [InlineData("mongodb://u:secretpw@host/db?w=-5&readPreference=nonsense")]
    public void A_malformed_mongodb_uri_is_a_clear_error_that_never_shows_the_password(string uri)
    {
        var e = Assert.Throws<CicdException>(() => CicdOps.Fleet.FleetRegistries.Open(uri));
        Assert.Equal(CicdError.InvalidArgument, e.Error);
        Assert.DoesNotContain("secretpw", e.ToString());
    }
}
