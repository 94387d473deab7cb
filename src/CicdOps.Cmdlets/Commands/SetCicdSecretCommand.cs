using System.Management.Automation;
using System.Security;
using CicdOps.Cmdlets.Completion;
using CicdOps.Cmdlets.Infrastructure;
using CicdOps.Engine.Secrets;

namespace CicdOps.Cmdlets.Commands;

/// <summary>
/// Set-CicdSecret: sets (or replaces) a project's secret. The value is a SecureString only; its plaintext
/// lives in zeroed buffers for the one engine call. It reaches the project's install/run/health as an
/// environment variable on the next deployment.
/// </summary>
[Cmdlet(VerbsCommon.Set, "CicdSecret", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(SecretInfo))]
public sealed class SetCicdSecretCommand : CicdCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ProjectNameCompleter))]
    public string Project { get; set; } = null!;

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(SecretNameCompleter))]
    public string Name { get; set; } = null!;

    /// <summary>The value. Prompted for (masked) when omitted; never a plain string parameter.</summary>
    [Parameter(Mandatory = true, Position = 2)]
    [ValidateNotNull]
    public SecureString Value { get; set; } = null!;

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        if (!ShouldProcess($"secret {Name} of project {Project}", "Set")) return;
        TryInvoke(() =>
        {
            var info = SecretValues.WithChars(Value, chars => Engine.SetSecret(Project, Name, chars));
            if (PassThru) WriteObject(info);
        });
    }
}
