using CicdOps.Engine.Pipelines;

namespace CicdOps.Engine;

public sealed partial class CicdEngine
{
    /// <summary>
    /// Validates a pipeline file (schema, then conditions and `run` templates compiled). Without a path: the
    /// directory's .cicd/pipeline.json, else its .simpleci/pipeline.json. Needs no data directory. A file that does
    /// not exist is a CicdException (InvalidPath); an invalid file is a result with its errors.
    /// </summary>
    public static PipelineValidationResult ValidatePipeline(string? path, string directory)
    {
        string file;
        if (string.IsNullOrEmpty(path))
        {
            file = PipelineFiles.Find(directory) ?? throw new CicdException(CicdError.InvalidPath,
                $"No pipeline file in '{directory}': neither .cicd/pipeline.json nor .simpleci/pipeline.json exists.", directory);
        }
        else
        {
            file = Path.GetFullPath(path, directory);
            if (Directory.Exists(file) || !File.Exists(file))
                throw new CicdException(CicdError.InvalidPath, $"Pipeline file '{file}' does not exist.", file);
        }

        var length = new FileInfo(file).Length;
        if (length > PipelineReader.MaxBytes)
            return new PipelineValidationResult(file, false, 0, new[] { $"/: the file has {length} bytes; a pipeline file may have at most {PipelineReader.MaxBytes}" });
        string text;
        try { text = File.ReadAllText(file); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CicdException(CicdError.InvalidPath, $"Cannot read pipeline file '{file}': {e.Message}", file, inner: e);
        }
        var result = PipelineReader.Read(text);
        return new PipelineValidationResult(file, result.IsValid, result.Definition?.Steps.Count ?? 0,
            result.Problems.Select(p => p.ToString()).ToArray());
    }
}
