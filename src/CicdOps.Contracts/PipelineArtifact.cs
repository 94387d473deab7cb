namespace CicdOps;

/// <summary>What a pipeline step kept: an artifact (`store-files`, one per run and key) or a cache (`cache-files`, one per project and key).</summary>
public enum PipelineFileKind { Artifact, Cache }

/// <summary>
/// Files a pipeline step kept under the data directory, as one tar archive: an artifact of a run, or a project's
/// cache under its key. Size is the archive's; FileCount counts its files and links. Kept until ExpiresAt, or until
/// the least recently used entries are evicted to stay under the server's size cap.
/// </summary>
public sealed record PipelineArtifact(
    PipelineFileKind Kind,
    string Project,
    string Key,
    string RunId,
    int Step,
    long SizeBytes,
    int FileCount,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastUsedAt,
    DateTimeOffset ExpiresAt);
