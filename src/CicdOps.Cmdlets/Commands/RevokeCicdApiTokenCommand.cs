using System.Management.Automation;
using CicdOps.Cmdlets.Completion;
using CicdOps.Cmdlets.Infrastructure;

namespace CicdOps.Cmdlets.Commands;

/// <summary>
/// Revoke-CicdApiToken: requests with the token are refused (401) from now on. -Name binds by property name, so
/// `Get-CicdApiToken old-* | Revoke-CicdApiToken` revokes what Get-CicdApiToken wrote.
/// </summary>
[Cmdlet(VerbsSecurity.Revoke, "CicdApiToken", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(ApiToken))]
public sealed class RevokeCicdApiTokenCommand : CicdCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ApiTokenNameCompleter))]
    public string[] Name { get; set; } = null!;

    /// <summary>Writes the revoked token.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var name in Name)
        {
            if (!ShouldProcess($"API token {name}", "Revoke")) continue;
            TryInvoke(() =>
            {
                var t = Engine.RevokeApiToken(name);
                if (PassThru) WriteObject(t);
            });
        }
    }
}
