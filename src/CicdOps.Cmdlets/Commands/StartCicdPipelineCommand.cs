using System.Management.Automation;
using CicdOps.Cmdlets.Completion;
using CicdOps.Cmdlets.Infrastructure;
using CicdOps.Engine;

namespace CicdOps.Cmdlets.Commands;

/// <summary>
/// Start-CicdPipeline: runs a project's pipeline for a commit (default: its branch tip) in a fresh workspace and
/// writes the finished PipelineRun. A run that did not succeed is also a non-terminating error (CicdPipelineFailed)
/// naming the step and its reason. Ctrl+C cancels the run.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "CicdPipeline", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(PipelineRun))]
public sealed class StartCicdPipelineCommand : CicdCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ProjectNameCompleter))]
    public string Name { get; set; } = null!;

    /// <summary>The commit to run for (full or abbreviated SHA); default: the branch tip.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(CommitCompleter))]
    public string? Commit { get; set; }

    /// <summary>The event conditions see as context.event.</summary>
    [Parameter]
    [ValidateSet("push", "pull_request", "tag", "manual")]
    public string Event { get; set; } = "manual";

    protected override void ProcessRecord()
    {
        if (!ShouldProcess(Name, $"Run the pipeline for {Commit ?? "the branch tip"}")) return;
        WarnIfNotSandboxed();
        var engine = Engine; // resolved here: the worker thread must never touch the cmdlet
        var token = CancellationToken;
        var run = Task.Run(() => engine.RunPipelineAsync(Name, Commit, Event, token));
        try
        {
            var result = run.GetAwaiter().GetResult();
            WriteObject(result);
            if (result.Status != PipelineRunStatus.Succeeded)
                WriteError(new ErrorRecord(new InvalidOperationException(
                        $"Pipeline of '{result.Project}' {result.Status} for {result.Commit[..Math.Min(8, result.Commit.Length)]}: {result.Reason}"),
                    "CicdPipelineFailed", ErrorCategory.InvalidResult, result));
        }
        catch (CicdException ex) { WriteCicdError(ex); }
        catch (OperationCanceledException) { WriteVerbose("The pipeline run was cancelled."); }
    }
}
