using System.Management.Automation;
using System.Security;
using CicdOps.Cmdlets.Infrastructure;
using CicdOps.Fleet;

namespace CicdOps.Cmdlets.Commands;

/// <summary>
/// Connect-CicdFleet: joins this server to a fleet registry (`cicdops fleet join`). The URI carries credentials,
/// so it is a SecureString (prompted masked when omitted); it is stored encrypted and only ever shown masked.
/// Writes this node as the registry lists it.
/// </summary>
[Cmdlet(VerbsCommunications.Connect, "CicdFleet", SupportsShouldProcess = true)]
[OutputType(typeof(FleetNode))]
public sealed class ConnectCicdFleetCommand : CicdCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNull]
    public SecureString Registry { get; set; } = null!;

    /// <summary>This node's name in the fleet (default: the hostname).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? NodeName { get; set; }

    /// <summary>Seconds between reports (default 5).</summary>
    [Parameter]
    [ValidateRange(0.1, 3600)]
    public double? SyncIntervalSeconds { get; set; }

    /// <summary>Join even when the registry cannot be reached now.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var uri = SecretValues.WithChars(Registry, chars => new string(chars));
        var masked = CicdOps.Engine.Fleet.RegistryAddress.Mask(uri);
        if (!ShouldProcess($"fleet registry {masked}", "Join")) return;
        TryInvoke(() =>
        {
            var interval = SyncIntervalSeconds is { } s ? TimeSpan.FromSeconds(s) : (TimeSpan?)null;
            var joined = FleetMembershipActions.JoinAsync(Engine, uri, NodeName, interval, Force, "-Force", CancellationToken).GetAwaiter().GetResult();
            if (joined.NotPublished is { } why)
            {
                WriteWarning($"Joined {joined.Membership.Registry}, but not published yet: {why}");
                return;
            }
            var snapshot = FleetMembershipActions.SnapshotAsync(Engine, 0, CancellationToken).GetAwaiter().GetResult();
            WriteObject(snapshot.Nodes.FirstOrDefault(n => n.Id == joined.Node.Id));
        });
    }
}
