using CicdOps.Fleet.Mongo;
using MongoDB.Bson;
using MongoDB.Bson.Serialization;
using MongoDB.Driver;

namespace CicdOps.Tests.Fleet;

/// <summary>
/// Fleet actions in MongoDB without a server (none can run here): documents through the driver's own serializers, and
/// the conditional filters and updates rendered by the driver. The behaviour itself is the contract suite's.
/// </summary>
public sealed class MongoRolloutDocumentTests
{
    private static readonly DateTimeOffset T = new(2026, 11, 30, 12, 34, 56, 789, TimeSpan.Zero);

    private static BsonDocument Render<TDoc>(FilterDefinition<TDoc> f) =>
        f.Render(new RenderArgs<TDoc>(BsonSerializer.SerializerRegistry.GetSerializer<TDoc>(), BsonSerializer.SerializerRegistry));

    private static BsonDocument Render<TDoc>(UpdateDefinition<TDoc> u) =>
        u.Render(new RenderArgs<TDoc>(BsonSerializer.SerializerRegistry.GetSerializer<TDoc>(), BsonSerializer.SerializerRegistry)).AsBsonDocument;

    private static TDoc RoundTrip<TDoc>(TDoc doc) => BsonSerializer.Deserialize<TDoc>(doc.ToBsonDocument());

    private static readonly FleetRolloutTarget Target = new()
    {
        RolloutId = "4f1c2a9be03d", NodeId = "0123abcd", Node = "web-01", Project = "shop", Kind = FleetTargetKind.Revert, Action = FleetAction.Rollback,
        Commit = "abc123", Wave = 2, Status = FleetTargetStatus.Running, PreviousCommit = "def456", ResultCommit = null, DeploymentId = 42,
        Reason = null, RequestedAt = T, StartedAt = T.AddSeconds(1), FinishedAt = null,
    };

    [Fact]
    public void A_rollout_and_its_targets_round_trip_with_enums_as_strings()
    {
        var rollout = new FleetRollout
        {
            Id = "4f1c2a9be03d", Project = "shop", Action = FleetAction.Deploy, Commit = null, RequestedBy = "root@web-01", RequestedAt = T, Waves = true,
            WaveSize = 25, RollbackOnFailure = true, WaveTimeout = TimeSpan.FromSeconds(600), Status = FleetRolloutStatus.RolledBack, Reason = "wave 2 failed",
            FinishedAt = T.AddMinutes(3),
        };
        var bson = MongoRolloutMapping.ToDocument(rollout).ToBsonDocument();
        Assert.Equal(("4f1c2a9be03d", "Deploy", "RolledBack", 600_000L), (bson["_id"].AsString, bson["action"].AsString, bson["status"].AsString, bson["waveTimeoutMs"].ToInt64()));
        Assert.Equal(BsonType.DateTime, bson["requestedAt"].BsonType);

        var back = MongoRolloutMapping.ToRecord(RoundTrip(MongoRolloutMapping.ToDocument(rollout)), new[] { RoundTrip(MongoRolloutMapping.ToDocument(Target)) });
        Assert.Equal(rollout with { Targets = back.Targets }, back);
        Assert.Equal(Target, Assert.Single(back.Targets));

        var target = MongoRolloutMapping.ToDocument(Target).ToBsonDocument();
        Assert.Equal("4f1c2a9be03d/0123abcd/Revert", target["_id"].AsString);
        Assert.Equal(("Revert", "Rollback", "Running"), (target["kind"].AsString, target["action"].AsString, target["status"].AsString));
    }

    [Fact]
    public void A_node_reads_only_its_requested_targets()
    {
        Assert.Equal(BsonDocument.Parse("""{ "nodeId": "0123abcd", "status": "Requested" }"""), Render(MongoRolloutQueries.Pending("0123abcd")));
    }

    [Fact]
    public void Claim_and_report_are_conditional_on_the_status_before()
    {
        var key = "4f1c2a9be03d/0123abcd/Revert";
        Assert.Equal(BsonDocument.Parse($$"""{ "_id": "{{key}}", "status": "Requested" }"""), Render(MongoRolloutQueries.InStatus(Target, FleetTargetStatus.Requested)));
        var claim = Render(MongoRolloutQueries.Claim("def456"));
        Assert.Equal(BsonDocument.Parse("""{ "status": "Running", "previousCommit": "def456" }"""), claim["$set"].AsBsonDocument);
        Assert.Equal(new[] { "startedAt" }, claim["$currentDate"].AsBsonDocument.Names);

        var report = Render(MongoRolloutQueries.Report(Target with { Status = FleetTargetStatus.Failed, Reason = "deployment 42 RolledBack" }));
        Assert.Equal(BsonDocument.Parse("""{ "status": "Failed", "resultCommit": null, "deploymentId": 42, "reason": "deployment 42 RolledBack" }"""),
            report["$set"].AsBsonDocument);
        Assert.Equal(new[] { "finishedAt" }, report["$currentDate"].AsBsonDocument.Names);
    }

    [Fact]
    public void The_driver_never_overwrites_what_a_node_reported_or_the_node_s_own_fields()
    {
        Assert.Equal(BsonDocument.Parse("""{ "_id": "4f1c2a9be03d/0123abcd/Revert", "status": { "$nin": ["Succeeded", "Failed"] } }"""),
            Render(MongoRolloutQueries.Unfinished(Target)));
        var save = Render(MongoRolloutQueries.Save(Target));
        Assert.Equal(new[] { "node", "commit", "wave", "status", "reason", "requestedAt", "finishedAt" }, save["$set"].AsBsonDocument.Names);
        Assert.Equal(new[] { "rolloutId", "nodeId", "kind", "project", "action" }, save["$setOnInsert"].AsBsonDocument.Names);
    }

    [Fact]
    public void A_rollout_driver_round_trips_and_abandoning_finishing_and_heartbeats_apply_to_running_rollouts_only()
    {
        var driver = new FleetDriverProcess { NodeId = "0123abcd", Node = "web-01", Pid = 4242, ProcessStartTime = 987654, SeenAt = T };
        var rollout = new FleetRollout
        {
            Id = "4f1c2a9be03d", Project = "shop", RequestedBy = "root@web-01", RequestedAt = T, WaveTimeout = TimeSpan.FromSeconds(600), Driver = driver,
        };
        var bson = MongoRolloutMapping.ToDocument(rollout).ToBsonDocument();
        Assert.Equal(BsonDocument.Parse("""{ "nodeId": "0123abcd", "node": "web-01", "pid": 4242, "start": NumberLong(987654), "seenAt": ISODate("2026-11-30T12:34:56.789Z") }"""),
            bson["driver"].AsBsonDocument);
        Assert.Equal(driver, MongoRolloutMapping.ToRecord(RoundTrip(MongoRolloutMapping.ToDocument(rollout)), Array.Empty<RolloutTargetDocument>()).Driver);
        Assert.False(MongoRolloutMapping.ToDocument(rollout with { Driver = null }).ToBsonDocument().Contains("driver"));

        Assert.Equal(BsonDocument.Parse("""{ "_id": "4f1c2a9be03d", "status": "Running" }"""), Render(MongoRolloutQueries.Running("4f1c2a9be03d")));
        Assert.Equal(BsonDocument.Parse("""{ "status": "Running" }"""), Render(MongoRolloutQueries.Running()));
        Assert.Equal(BsonDocument.Parse("""{ "$set": { "driver.seenAt": ISODate("2026-11-30T12:34:56.789Z") } }"""), Render(MongoRolloutQueries.Touch(T)));
        Assert.Equal(BsonDocument.Parse("""{ "rolloutId": "4f1c2a9be03d", "status": { "$in": ["Waiting", "Requested"] } }"""),
            Render(MongoRolloutQueries.Unasked("4f1c2a9be03d")));
        var skip = Render(MongoRolloutQueries.SkipAbandoned());
        Assert.Equal(("Skipped", "not asked: the rollout was abandoned"), (skip["$set"]["status"].AsString, skip["$set"]["reason"].AsString));
    }
}
