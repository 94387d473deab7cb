using System.Management.Automation;
using CicdOps.Cmdlets.Completion;
using CicdOps.Cmdlets.Infrastructure;
using CicdOps.Engine.Secrets;

namespace CicdOps.Cmdlets.Commands;

/// <summary>
/// Remove-CicdSecret: deletes project secrets. -Project and -Name bind by property name, so
/// `Get-CicdSecret -Project app | Remove-CicdSecret` removes what Get-CicdSecret wrote.
/// ConfirmImpact Medium: the running app keeps its environment; only the next deployment lacks the
/// variable, and Set-CicdSecret puts it back (Unregister and Rollback are the High ones).
/// </summary>
[Cmdlet(VerbsCommon.Remove, "CicdSecret", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(SecretInfo))]
public sealed class RemoveCicdSecretCommand : CicdCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ProjectNameCompleter))]
    public string Project { get; set; } = null!;

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(SecretNameCompleter))]
    public string[] Name { get; set; } = null!;

    /// <summary>Writes what was removed (name and last update time) to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var name in Name)
        {
            if (!ShouldProcess($"secret {name} of project {Project}", "Remove")) continue;
            TryInvoke(() =>
            {
                var before = PassThru ? Engine.GetSecrets(Project).FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.Ordinal)) : null;
                Engine.RemoveSecret(Project, name);
                if (before is not null) WriteObject(before);
            });
        }
    }
}
