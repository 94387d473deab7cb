using System.Management.Automation;
using CicdOps.Cmdlets.Completion;
using CicdOps.Cmdlets.Infrastructure;

namespace CicdOps.Cmdlets.Commands;

/// <summary>
/// Invoke-CicdFleetRollback: rolls a project back on every node that hosts it (to -Commit, or each node's previous
/// successful commit), through the registry. Writes the finished FleetRollout.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "CicdFleetRollback", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(FleetRollout))]
public sealed class InvokeCicdFleetRollbackCommand : CicdCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Project")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ProjectNameCompleter))]
    public string Name { get; set; } = null!;

    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(CommitCompleter))]
    public string? Commit { get; set; }

    [Parameter]
    public SwitchParameter RollbackOnFailure { get; set; }

    [Parameter]
    public double WaveTimeoutSeconds { get; set; } = 600;

    protected override void ProcessRecord()
    {
        if (!ShouldProcess($"{Name} on every node that hosts it", $"Roll back to {Commit ?? "each node's previous good commit"}")) return;
        TryInvoke(() => FleetRolloutInvoker.Invoke(this, Engine,
            FleetRequests.Make(Engine, Name, FleetAction.Rollback, Commit, false, 25, RollbackOnFailure, WaveTimeoutSeconds), CancellationToken));
    }
}
