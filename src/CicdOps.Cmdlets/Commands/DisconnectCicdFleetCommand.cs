using System.Management.Automation;
using CicdOps.Cmdlets.Infrastructure;
using CicdOps.Engine;
using CicdOps.Fleet;

namespace CicdOps.Cmdlets.Commands;

/// <summary>
/// Disconnect-CicdFleet: removes this node from the registry and forgets the registry (`cicdops fleet leave`).
/// Writes the node as it was listed. With -Force it leaves even when the registry cannot be reached (the node
/// then stays listed, as stale).
/// </summary>
[Cmdlet(VerbsCommunications.Disconnect, "CicdFleet", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(FleetNode))]
public sealed class DisconnectCicdFleetCommand : CicdCmdlet
{
    /// <summary>Leave even when the registry cannot be reached now.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        TryInvoke(() =>
        {
            var membership = Engine.GetFleetMembership();
            if (membership is not null && !ShouldProcess($"fleet registry {membership.Registry}", "Leave")) return;
            var node = Engine.GetNodeIdentity();
            FleetNode? listed = null;
            if (membership is not null)
            {
                try { listed = FleetMembershipActions.SnapshotAsync(Engine, 0, CancellationToken).GetAwaiter().GetResult().Nodes.FirstOrDefault(n => n.Id == node.Id); }
                catch (CicdException e) when (e.Error == CicdError.FleetRegistryUnavailable && Force) { }
            }
            var (_, stillListed) = FleetMembershipActions.LeaveAsync(Engine, Force, "-Force", CancellationToken).GetAwaiter().GetResult();
            if (stillListed is not null) WriteWarning($"The registry still lists this node (as stale): {stillListed}");
            if (listed is not null) WriteObject(listed);
        });
    }
}
