using System.Management.Automation;
using CicdOps.Cmdlets.Completion;
using CicdOps.Cmdlets.Infrastructure;

namespace CicdOps.Cmdlets.Commands;

/// <summary>
/// Start-CicdFleetDeployment: deploys a project on every node of the fleet that hosts it, through the registry (each
/// node's listener runs it). -Wave: one canary node first, then batches of -WaveSize percent, each after the previous
/// one is healthy; a failed wave stops the rollout, and -RollbackOnFailure puts the nodes already done back.
/// Writes the finished FleetRollout.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "CicdFleetDeployment", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(FleetRollout))]
public sealed class StartCicdFleetDeploymentCommand : CicdCmdlet
{
    /// <summary>The project (from the pipeline, a FleetProject's or Project's Name).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Project")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ProjectNameCompleter))]
    public string Name { get; set; } = null!;

    /// <summary>The commit; the branch tip on the canary (later waves deploy what the canary deployed) when omitted.</summary>
    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(CommitCompleter))]
    public string? Commit { get; set; }

    [Parameter]
    public SwitchParameter Wave { get; set; }

    [Parameter]
    public int WaveSize { get; set; } = 25;

    [Parameter]
    public SwitchParameter RollbackOnFailure { get; set; }

    [Parameter]
    public double WaveTimeoutSeconds { get; set; } = 600;

    protected override void ProcessRecord()
    {
        if (!ShouldProcess($"{Name} on every node that hosts it", Wave ? $"Deploy in waves ({WaveSize}% after a canary)" : "Deploy")) return;
        TryInvoke(() => FleetRolloutInvoker.Invoke(this, Engine, FleetRequests.Make(Engine, Name, FleetAction.Deploy, Commit, Wave, WaveSize, RollbackOnFailure,
            WaveTimeoutSeconds), CancellationToken));
    }
}
