using System.Management.Automation;
using CicdOps.Cmdlets.Infrastructure;
using CicdOps.Engine;

namespace CicdOps.Cmdlets.Commands;

/// <summary>
/// Test-CicdPipeline: validates pipeline files locally (schema, conditions and run templates compiled) and writes a
/// PipelineValidationResult per file. An invalid file is a result with IsValid false, not an error; a file that
/// does not exist is an error (CicdInvalidPath). Needs no data directory.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "CicdPipeline")]
[OutputType(typeof(PipelineValidationResult))]
public sealed class TestCicdPipelineCommand : CicdCmdlet
{
    /// <summary>Files to validate (default: .cicd/pipeline.json, else .simpleci/pipeline.json, in the current location).</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string[]? Path { get; set; }

    protected override void ProcessRecord()
    {
        // Relative paths are relative to the PowerShell location, not the process working directory.
        var location = SessionState.Path.CurrentFileSystemLocation.ProviderPath;
        if (Path is null)
        {
            TryInvoke(() => WriteObject(CicdEngine.ValidatePipeline(null, location)));
            return;
        }
        foreach (var path in Path)
        {
            var full = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
            TryInvoke(() => WriteObject(CicdEngine.ValidatePipeline(full, location)));
        }
    }
}
