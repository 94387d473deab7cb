using System.Management.Automation;
using CicdOps.Cmdlets.Completion;
using CicdOps.Cmdlets.Infrastructure;

namespace CicdOps.Cmdlets.Commands;

/// <summary>
/// Stop-CicdPipelineRun: cancels a running pipeline run, whichever process runs it, waits for it to stop and writes
/// the run. A run that is not running is an error (CicdNothingToCancel). Takes PipelineRun objects from the pipeline.
/// </summary>
[Cmdlet(VerbsLifecycle.Stop, "CicdPipelineRun", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(PipelineRun))]
public sealed class StopCicdPipelineRunCommand : CicdCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(PipelineRunIdCompleter))]
    public string[] RunId { get; set; } = null!;

    protected override void ProcessRecord()
    {
        var engine = Engine;
        foreach (var id in RunId)
        {
            if (!ShouldProcess(id, "Cancel the pipeline run")) continue;
            TryInvoke(() => WriteObject(Task.Run(() => engine.CancelPipelineRunAsync(id)).GetAwaiter().GetResult()));
        }
    }
}
