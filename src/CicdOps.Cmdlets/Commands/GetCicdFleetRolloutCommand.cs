using System.Management.Automation;
using CicdOps.Cmdlets.Completion;
using CicdOps.Cmdlets.Infrastructure;
using CicdOps.Fleet.Rollouts;

namespace CicdOps.Cmdlets.Commands;

/// <summary>
/// Get-CicdFleetRollout: fleet actions recorded in the registry, newest first (who asked, waves, status), or one by -Id;
/// each FleetRollout carries its Targets (each node's outcome).
/// </summary>
[Cmdlet(VerbsCommon.Get, "CicdFleetRollout", DefaultParameterSetName = ListSet)]
[OutputType(typeof(FleetRollout))]
public sealed class GetCicdFleetRolloutCommand : CicdCmdlet
{
    private const string ListSet = "List", IdSet = "Id";

    [Parameter(Mandatory = true, ParameterSetName = IdSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Id { get; set; } = null!;

    [Parameter(Position = 0, ParameterSetName = ListSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ProjectNameCompleter))]
    public string? Project { get; set; }

    [Parameter(ParameterSetName = ListSet)]
    [ValidateRange(1, 1000)]
    public int Last { get; set; } = 20;

    protected override void ProcessRecord()
    {
        if (ParameterSetName == IdSet)
        {
            foreach (var id in Id) TryInvoke(() => WriteObject(FleetRolloutActions.GetAsync(Engine, id, CancellationToken).GetAwaiter().GetResult()));
            return;
        }
        TryInvoke(() => WriteObject(FleetRolloutActions.ListAsync(Engine, Project, Last, CancellationToken).GetAwaiter().GetResult(), enumerateCollection: true));
    }
}
