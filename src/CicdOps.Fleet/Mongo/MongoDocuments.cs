using MongoDB.Bson;
using MongoDB.Bson.Serialization.Attributes;

namespace CicdOps.Fleet.Mongo;

// The registry's MongoDB documents, mapped by the driver's own class-map serializers. _id carries the key
// ("node/project", "node/deployment", "node/sequence"), so an upsert on _id is keyed by node + project.
// Enums are stored as strings (readable in Atlas, stable when members are added); times as BSON dates (UTC).

internal sealed class NodeDocument
{
    [BsonId] public string Id { get; set; } = "";
    [BsonElement("name")] public string Name { get; set; } = "";
    [BsonElement("version")] public string Version { get; set; } = "";
    [BsonElement("intervalMs")] public int IntervalMs { get; set; }
    /// <summary>Set by the server ($currentDate) on every report, so staleness is judged on one clock.</summary>
    [BsonElement("lastSeen")] public DateTime LastSeen { get; set; }
    [BsonElement("host"), BsonIgnoreIfNull] public HostDocument? Host { get; set; }
}

internal sealed class HostDocument
{
    [BsonElement("cpuPercent")] public double? CpuPercent { get; set; }
    [BsonElement("memoryTotal")] public long MemoryTotal { get; set; }
    [BsonElement("memoryAvailable")] public long MemoryAvailable { get; set; }
    [BsonElement("diskFree")] public long DiskFree { get; set; }
    [BsonElement("load1")] public double Load1 { get; set; }
}

internal sealed class ProjectDocument
{
    [BsonId] public string Id { get; set; } = "";
    [BsonElement("nodeId")] public string NodeId { get; set; } = "";
    [BsonElement("node")] public string Node { get; set; } = "";
    [BsonElement("name")] public string Name { get; set; } = "";
    [BsonElement("repository")] public string Repository { get; set; } = "";
    [BsonElement("branch")] public string Branch { get; set; } = "";
    [BsonElement("status"), BsonRepresentation(BsonType.String)] public ProjectStatus Status { get; set; }
    [BsonElement("commit")] public string? Commit { get; set; }
    [BsonElement("lastGoodCommit")] public string? LastGoodCommit { get; set; }
    [BsonElement("pinnedCommit")] public string? PinnedCommit { get; set; }
    [BsonElement("health"), BsonRepresentation(BsonType.String)] public FleetHealth Health { get; set; }
    [BsonElement("cpuPercent")] public double? CpuPercent { get; set; }
    [BsonElement("memoryBytes")] public long? MemoryBytes { get; set; }
    [BsonElement("updatedAt")] public DateTime UpdatedAt { get; set; }
}

internal sealed class DeploymentDocument
{
    [BsonId] public string Id { get; set; } = "";
    [BsonElement("nodeId")] public string NodeId { get; set; } = "";
    [BsonElement("node")] public string Node { get; set; } = "";
    [BsonElement("deploymentId")] public long DeploymentId { get; set; }
    [BsonElement("project")] public string Project { get; set; } = "";
    [BsonElement("commit")] public string? Commit { get; set; }
    [BsonElement("trigger"), BsonRepresentation(BsonType.String)] public DeploymentTrigger Trigger { get; set; }
    [BsonElement("status"), BsonRepresentation(BsonType.String)] public DeploymentStatus Status { get; set; }
    [BsonElement("reason")] public string? Reason { get; set; }
    [BsonElement("queuedAt")] public DateTime QueuedAt { get; set; }
    [BsonElement("startedAt")] public DateTime? StartedAt { get; set; }
    [BsonElement("finishedAt")] public DateTime? FinishedAt { get; set; }
    /// <summary>Server time of the last write: what polling watchers (no change streams) look for.</summary>
    [BsonElement("updatedAt")] public DateTime UpdatedAt { get; set; }
}

internal sealed class EventDocument
{
    [BsonId] public string Id { get; set; } = "";
    [BsonElement("nodeId")] public string NodeId { get; set; } = "";
    [BsonElement("node")] public string Node { get; set; } = "";
    [BsonElement("seq")] public long Sequence { get; set; }
    [BsonElement("at")] public DateTime At { get; set; }
    [BsonElement("project")] public string? Project { get; set; }
    [BsonElement("kind"), BsonRepresentation(BsonType.String)] public FleetEventKind Kind { get; set; }
    [BsonElement("message")] public string Message { get; set; } = "";
    /// <summary>Server time it was stored: what polling watchers look for.</summary>
    [BsonElement("storedAt")] public DateTime StoredAt { get; set; }
}
