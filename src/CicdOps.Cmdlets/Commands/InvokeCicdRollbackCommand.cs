using System.Management.Automation;
using CicdOps.Cmdlets.Completion;
using CicdOps.Cmdlets.Infrastructure;
using CicdOps.Engine.Model;

namespace CicdOps.Cmdlets.Commands;

/// <summary>Invoke-CicdRollback: queues a deployment of the previous successful commit, or of -Commit.</summary>
[Cmdlet(VerbsLifecycle.Invoke, "CicdRollback", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(Deployment))]
public sealed class InvokeCicdRollbackCommand : CicdCmdlet
{
    /// <summary>Project names; from the pipeline, a Project's Name or a Deployment's Project.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Project")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ProjectNameCompleter))]
    public string[] Name { get; set; } = null!;

    /// <summary>The commit to return to (from the pipeline, a Deployment's Commit); it must have deployed successfully before unless -Force.</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(CommitCompleter))]
    public string? Commit { get; set; }

    /// <summary>Pin the project to the rollback commit so pushes do not replace it.</summary>
    [Parameter]
    public SwitchParameter Pin { get; set; }

    /// <summary>Allow a -Commit that never deployed successfully.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var name in Name)
        {
            if (!ShouldProcess(name, $"Roll back to {Commit ?? "the previous successful commit"}{(Pin ? " and pin it" : "")}")) continue;
            TryInvoke(() => WriteObject(Engine.Rollback(name, Commit, Pin.IsPresent, Force.IsPresent)));
        }
    }
}
