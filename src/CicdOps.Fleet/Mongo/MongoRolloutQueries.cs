using MongoDB.Driver;

namespace CicdOps.Fleet.Mongo;

/// <summary>
/// The filters and updates of fleet actions in MongoDB, in one place so tests render them with the driver's serializers.
/// Status moves are conditional on the status before (the filter), like the PostgreSQL registry's UPDATE … WHERE.
/// </summary>
internal static class MongoRolloutQueries
{
    private static FilterDefinitionBuilder<RolloutTargetDocument> T => Builders<RolloutTargetDocument>.Filter;

    public static FilterDefinition<RolloutDocument> Rollout(string id) => Builders<RolloutDocument>.Filter.Eq(d => d.Id, id);

    public static FilterDefinition<RolloutDocument> RolloutsOf(string? project) =>
        project is null ? Builders<RolloutDocument>.Filter.Empty : Builders<RolloutDocument>.Filter.Eq(d => d.Project, project);

    public static FilterDefinition<RolloutDocument> Running(string? id = null) =>
        (id is null ? Builders<RolloutDocument>.Filter.Empty : Rollout(id)) & Builders<RolloutDocument>.Filter.Eq(d => d.Status, FleetRolloutStatus.Running);

    public static UpdateDefinition<RolloutDocument> Finish(FleetRolloutStatus status, string? reason) =>
        Builders<RolloutDocument>.Update.Set(d => d.Status, status).Set(d => d.Reason, reason).CurrentDate(d => d.FinishedAt);

    public static UpdateDefinition<RolloutDocument> Touch(DateTimeOffset seenAt) =>
        Builders<RolloutDocument>.Update.Set(d => d.Driver!.SeenAt, seenAt.UtcDateTime);

    /// <summary>What an abandoned rollout's unasked targets become (a node claims only Requested ones).</summary>
    public static FilterDefinition<RolloutTargetDocument> Unasked(string rolloutId) =>
        T.Eq(d => d.RolloutId, rolloutId) & T.In(d => d.Status, new[] { FleetTargetStatus.Waiting, FleetTargetStatus.Requested });

    public static UpdateDefinition<RolloutTargetDocument> SkipAbandoned() =>
        Builders<RolloutTargetDocument>.Update.Set(d => d.Status, FleetTargetStatus.Skipped).Set(d => d.Reason, "not asked: the rollout was abandoned")
            .CurrentDate(d => d.FinishedAt);

    /// <summary>The driver's write of a target: any target not finished by its node (Succeeded/Failed stay as reported).</summary>
    public static FilterDefinition<RolloutTargetDocument> Unfinished(FleetRolloutTarget t) =>
        T.Eq(d => d.Id, MongoRolloutMapping.TargetKey(t.RolloutId, t.NodeId, t.Kind))
        & T.Nin(d => d.Status, new[] { FleetTargetStatus.Succeeded, FleetTargetStatus.Failed });

    public static UpdateDefinition<RolloutTargetDocument> Save(FleetRolloutTarget t)
    {
        var d = MongoRolloutMapping.ToDocument(t);
        return Builders<RolloutTargetDocument>.Update
            .Set(x => x.Node, d.Node).Set(x => x.Commit, d.Commit).Set(x => x.Wave, d.Wave).Set(x => x.Status, d.Status)
            .Set(x => x.Reason, d.Reason).Set(x => x.RequestedAt, d.RequestedAt).Set(x => x.FinishedAt, d.FinishedAt)
            .SetOnInsert(x => x.RolloutId, d.RolloutId).SetOnInsert(x => x.NodeId, d.NodeId).SetOnInsert(x => x.Kind, d.Kind)
            .SetOnInsert(x => x.Project, d.Project).SetOnInsert(x => x.Action, d.Action);
    }

    public static FilterDefinition<RolloutTargetDocument> Pending(string nodeId) =>
        T.Eq(d => d.NodeId, nodeId) & T.Eq(d => d.Status, FleetTargetStatus.Requested);

    public static FilterDefinition<RolloutTargetDocument> InStatus(FleetRolloutTarget t, FleetTargetStatus status) =>
        T.Eq(d => d.Id, MongoRolloutMapping.TargetKey(t.RolloutId, t.NodeId, t.Kind)) & T.Eq(d => d.Status, status);

    public static UpdateDefinition<RolloutTargetDocument> Claim(string? previousCommit) =>
        Builders<RolloutTargetDocument>.Update.Set(d => d.Status, FleetTargetStatus.Running).Set(d => d.PreviousCommit, previousCommit)
            .CurrentDate(d => d.StartedAt);

    public static UpdateDefinition<RolloutTargetDocument> Report(FleetRolloutTarget t) =>
        Builders<RolloutTargetDocument>.Update.Set(d => d.Status, t.Status).Set(d => d.ResultCommit, t.ResultCommit)
            .Set(d => d.DeploymentId, t.DeploymentId).Set(d => d.Reason, t.Reason).CurrentDate(d => d.FinishedAt);

    public static FilterDefinition<RolloutTargetDocument> TargetsOf(IEnumerable<string> rolloutIds) => T.In(d => d.RolloutId, rolloutIds);

    public static IEnumerable<CreateIndexModel<RolloutTargetDocument>> TargetIndexes() => new[]
    {
        new CreateIndexModel<RolloutTargetDocument>(Builders<RolloutTargetDocument>.IndexKeys.Ascending(d => d.NodeId).Ascending(d => d.Status),
            new CreateIndexOptions { Name = "node_status" }),
        new CreateIndexModel<RolloutTargetDocument>(Builders<RolloutTargetDocument>.IndexKeys.Ascending(d => d.RolloutId), new CreateIndexOptions { Name = "rollout" }),
    };

    public static IEnumerable<CreateIndexModel<RolloutDocument>> RolloutIndexes() => new[]
    {
        new CreateIndexModel<RolloutDocument>(Builders<RolloutDocument>.IndexKeys.Descending(d => d.RequestedAt), new CreateIndexOptions { Name = "recent" }),
        new CreateIndexModel<RolloutDocument>(Builders<RolloutDocument>.IndexKeys.Ascending(d => d.Project).Descending(d => d.RequestedAt),
            new CreateIndexOptions { Name = "project_recent" }),
    };
}
