using System.Management.Automation;
using System.Security;
using CicdOps.Cmdlets.Completion;
using CicdOps.Cmdlets.Infrastructure;

namespace CicdOps.Cmdlets.Commands;

/// <summary>Set-CicdNotificationChannel: changes what is given and keeps the rest; a new URL or secret retries the channel at once.</summary>
[Cmdlet(VerbsCommon.Set, "CicdNotificationChannel", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(NotificationChannel))]
public sealed class SetCicdNotificationChannelCommand : CicdCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ChannelNameCompleter))]
    public string Name { get; set; } = null!;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Url { get; set; }

    [Parameter]
    public SecureString? SigningSecret { get; set; }

    [Parameter]
    public NotificationEventKind[]? Event { get; set; }

    /// <summary>Receive every event again (drops the filter).</summary>
    [Parameter]
    public SwitchParameter AllEvents { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(ProjectNameCompleter))]
    public string[]? Project { get; set; }

    /// <summary>Receive every project's events again (drops the filter).</summary>
    [Parameter]
    public SwitchParameter AllProjects { get; set; }

    [Parameter]
    public TimeSpan? MinInterval { get; set; }

    [Parameter]
    public string? From { get; set; }

    [Parameter]
    public string[]? To { get; set; }

    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    [Parameter]
    public SmtpSecurity? SmtpSecurity { get; set; }

    [Parameter]
    public string? CaFile { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        if (AllEvents && Event is not null) { WriteCicdError(new CicdOps.Engine.CicdException(CicdOps.Engine.CicdError.InvalidArgument, "-AllEvents and -Event cannot be used together.", null)); return; }
        if (AllProjects && Project is not null) { WriteCicdError(new CicdOps.Engine.CicdException(CicdOps.Engine.CicdError.InvalidArgument, "-AllProjects and -Project cannot be used together.", null)); return; }
        if (!ShouldProcess($"notification channel {Name}", "Set")) return;
        TryInvoke(() =>
        {
            var spec = NotificationSpecs.Build(null, Url, SigningSecret, AllEvents ? [] : Event, AllProjects ? [] : Project, MinInterval, From, To, Credential,
                SmtpSecurity, CaFile is null ? null : CaFile.Length == 0 ? "" : SessionState.Path.GetUnresolvedProviderPathFromPSPath(CaFile));
            var ch = Engine.SetNotificationChannel(Name, spec);
            if (PassThru) WriteObject(ch);
        });
    }
}
