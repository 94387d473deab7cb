namespace CicdOps;

/// <summary>
/// The outcome of validating a pipeline file (`Test-CicdPipeline`, `cicdops pipeline validate`): which file, whether it
/// is valid, how many steps it has, and each error as "JSON-pointer: message" (e.g. "/steps/0/run: ...").
/// </summary>
public sealed record PipelineValidationResult(string Path, bool IsValid, int StepCount, string[] Errors);
