using System.Management.Automation;
using CicdOps.Cmdlets.Infrastructure;

namespace CicdOps.Cmdlets.Commands;

/// <summary>Get-CicdDashboardSession: the dashboard's active sessions (never their cookies); -All adds expired and revoked ones.</summary>
[Cmdlet(VerbsCommon.Get, "CicdDashboardSession")]
[OutputType(typeof(DashboardSession))]
public sealed class GetCicdDashboardSessionCommand : CicdCmdlet
{
    [Parameter(Position = 0)]
    public long[]? Id { get; set; }

    [Parameter]
    public SwitchParameter All { get; set; }

    protected override void ProcessRecord()
    {
        TryInvoke(() =>
        {
            var now = DateTimeOffset.UtcNow;
            WriteObject(Engine.GetDashboardSessions().Where(s => (All || s.IsActiveAt(now)) && (Id is null || Id.Contains(s.Id))), enumerateCollection: true);
        });
    }
}
