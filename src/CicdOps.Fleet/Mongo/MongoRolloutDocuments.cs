using MongoDB.Bson;
using MongoDB.Bson.Serialization.Attributes;

namespace CicdOps.Fleet.Mongo;

// Fleet actions as MongoDB documents: collection "rollouts" (_id = rollout id) and "rolloutTargets"
// (_id = "rollout/node/kind"). Enums as strings, times as BSON dates, like the other registry documents.

internal sealed class RolloutDocument
{
    [BsonId] public string Id { get; set; } = "";
    [BsonElement("project")] public string Project { get; set; } = "";
    [BsonElement("action"), BsonRepresentation(BsonType.String)] public FleetAction Action { get; set; }
    [BsonElement("commit")] public string? Commit { get; set; }
    [BsonElement("requestedBy")] public string RequestedBy { get; set; } = "";
    [BsonElement("requestedAt")] public DateTime RequestedAt { get; set; }
    [BsonElement("waves")] public bool Waves { get; set; }
    [BsonElement("waveSize")] public int WaveSize { get; set; }
    [BsonElement("rollbackOnFailure")] public bool RollbackOnFailure { get; set; }
    [BsonElement("waveTimeoutMs")] public long WaveTimeoutMs { get; set; }
    [BsonElement("status"), BsonRepresentation(BsonType.String)] public FleetRolloutStatus Status { get; set; }
    [BsonElement("reason")] public string? Reason { get; set; }
    [BsonElement("finishedAt")] public DateTime? FinishedAt { get; set; }
    /// <summary>Who drives it (absent for rollouts an older CicdOps started).</summary>
    [BsonElement("driver"), BsonIgnoreIfNull] public RolloutDriverDocument? Driver { get; set; }
}

internal sealed class RolloutDriverDocument
{
    [BsonElement("nodeId")] public string NodeId { get; set; } = "";
    [BsonElement("node")] public string Node { get; set; } = "";
    [BsonElement("pid")] public int Pid { get; set; }
    [BsonElement("start")] public long ProcessStartTime { get; set; }
    [BsonElement("seenAt")] public DateTime SeenAt { get; set; }
}

internal sealed class RolloutTargetDocument
{
    [BsonId] public string Id { get; set; } = "";
    [BsonElement("rolloutId")] public string RolloutId { get; set; } = "";
    [BsonElement("nodeId")] public string NodeId { get; set; } = "";
    [BsonElement("kind"), BsonRepresentation(BsonType.String)] public FleetTargetKind Kind { get; set; }
    [BsonElement("node")] public string Node { get; set; } = "";
    [BsonElement("project")] public string Project { get; set; } = "";
    [BsonElement("action"), BsonRepresentation(BsonType.String)] public FleetAction Action { get; set; }
    [BsonElement("commit")] public string? Commit { get; set; }
    [BsonElement("wave")] public int Wave { get; set; }
    [BsonElement("status"), BsonRepresentation(BsonType.String)] public FleetTargetStatus Status { get; set; }
    [BsonElement("previousCommit")] public string? PreviousCommit { get; set; }
    [BsonElement("resultCommit")] public string? ResultCommit { get; set; }
    [BsonElement("deploymentId")] public long? DeploymentId { get; set; }
    [BsonElement("reason")] public string? Reason { get; set; }
    [BsonElement("requestedAt")] public DateTime? RequestedAt { get; set; }
    [BsonElement("startedAt")] public DateTime? StartedAt { get; set; }
    [BsonElement("finishedAt")] public DateTime? FinishedAt { get; set; }
}
