using System.Management.Automation;
using CicdOps.Cmdlets.Infrastructure;

namespace CicdOps.Cmdlets.Commands;

/// <summary>
/// Revoke-CicdDashboardSession: the session's cookie is refused from its next request. -Id binds by property name, so
/// `Get-CicdDashboardSession | Revoke-CicdDashboardSession` signs everyone out.
/// </summary>
[Cmdlet(VerbsSecurity.Revoke, "CicdDashboardSession", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(DashboardSession))]
public sealed class RevokeCicdDashboardSessionCommand : CicdCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    public long[] Id { get; set; } = null!;

    /// <summary>Writes the revoked session.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var id in Id)
        {
            if (!ShouldProcess($"dashboard session {id}", "Revoke")) continue;
            TryInvoke(() =>
            {
                var s = Engine.RevokeDashboardSession(id);
                if (PassThru) WriteObject(s);
            });
        }
    }
}
