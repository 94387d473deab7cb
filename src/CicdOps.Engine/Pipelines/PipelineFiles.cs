namespace CicdOps.Engine.Pipelines;

/// <summary>Where a repository keeps its pipeline: CicdOps' own file first, then SimpleCI's.</summary>
public static class PipelineFiles
{
    public static readonly string[] Candidates = { Path.Combine(".cicd", "pipeline.json"), Path.Combine(".simpleci", "pipeline.json") };

    /// <summary>The pipeline file of the tree at <paramref name="root"/>, or null when it has neither.</summary>
    public static string? Find(string root) =>
        Candidates.Select(c => Path.Combine(root, c)).FirstOrDefault(File.Exists);
}
