namespace CicdOps.Engine.Pipelines;

/// <summary>A validated pipeline file as typed records. Built only from a document the schema accepted.</summary>
public sealed record PipelineDefinition(
    IReadOnlyList<PipelineStep> Steps,
    string? Tier,
    int? TimeoutSeconds,
    IReadOnlyDictionary<string, string> Env,
    IReadOnlyList<string> Events);

public enum PipelineStepType { Run, CacheFiles, StoreFiles }

/// <summary>
/// One step. <see cref="Run"/> holds its commands (SimpleCI's string becomes a list of one); cache and store steps
/// use <see cref="Key"/>, <see cref="FileNames"/>, <see cref="Expiry"/> and <see cref="DownloadPath"/> instead.
/// </summary>
public sealed record PipelineStep(
    int Index,
    string Name,
    string? Condition,
    PipelineStepType Type,
    IReadOnlyList<string> Run,
    int? TimeoutSeconds,
    IReadOnlyDictionary<string, string> Env,
    bool ContinueOnError,
    string? Key,
    IReadOnlyList<string> FileNames,
    string? Expiry,
    string? DownloadPath)
{
    /// <summary>The JSON pointer of this step in the file, for messages: "/steps/2".</summary>
    public string Pointer => "/steps/" + Index;

    /// <summary>Whether the file gave `run` as an array (its commands' paths are then `/run/0`, `/run/1`, ...).</summary>
    public bool RunIsList { get; init; }
}
