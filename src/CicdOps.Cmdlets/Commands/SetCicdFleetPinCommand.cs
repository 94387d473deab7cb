using System.Management.Automation;
using CicdOps.Cmdlets.Completion;
using CicdOps.Cmdlets.Infrastructure;

namespace CicdOps.Cmdlets.Commands;

/// <summary>
/// Set-CicdFleetPin: pins a project on every node that hosts it (to -Commit, or each node's current commit), through
/// the registry; -Clear unpins it everywhere. -PassThru writes the finished FleetRollout.
/// </summary>
[Cmdlet(VerbsCommon.Set, "CicdFleetPin", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = PinSet)]
[OutputType(typeof(FleetRollout))]
public sealed class SetCicdFleetPinCommand : CicdCmdlet
{
    private const string PinSet = "Pin";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Project")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ProjectNameCompleter))]
    public string Name { get; set; } = null!;

    [Parameter(Position = 1, ParameterSetName = PinSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(CommitCompleter))]
    public string? Commit { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = ParameterSets.Clear)]
    public SwitchParameter Clear { get; set; }

    [Parameter]
    public double WaveTimeoutSeconds { get; set; } = 600;

    /// <summary>Write the finished FleetRollout (a rollout that failed is reported as an error either way).</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var action = Clear ? FleetAction.Unpin : FleetAction.Pin;
        if (!ShouldProcess($"{Name} on every node that hosts it", Clear ? "Remove the pin" : $"Pin to {Commit ?? "each node's current commit"}")) return;
        TryInvoke(() => FleetRolloutInvoker.Invoke(this, Engine,
            FleetRequests.Make(Engine, Name, action, Clear ? null : Commit, false, 25, false, WaveTimeoutSeconds), CancellationToken, PassThru));
    }
}
