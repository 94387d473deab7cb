namespace CicdOps.Engine.Pipelines;

/// <summary>Where a run keeps its caches and artifacts: the engine's store, and whose they are.</summary>
internal sealed record RunFiles(PipelineFileStore Store, string Project, string RunId, TimeSpan DefaultExpiry);
