using System.Management.Automation;
using System.Security;
using CicdOps.Cmdlets.Completion;
using CicdOps.Cmdlets.Infrastructure;

namespace CicdOps.Cmdlets.Commands;

/// <summary>
/// Add-CicdNotificationChannel: a Slack, Discord, Teams, generic webhook or email channel. The URL, the signing
/// secret and the SMTP password are stored encrypted and never shown again (the Target property masks them).
/// </summary>
[Cmdlet(VerbsCommon.Add, "CicdNotificationChannel", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(NotificationChannel))]
public sealed class AddCicdNotificationChannelCommand : CicdCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = null!;

    [Parameter(Mandatory = true, Position = 1)]
    public NotificationChannelType Type { get; set; }

    /// <summary>https:// (http:// only to loopback) for chat and webhooks, smtp:// or smtps:// for email.</summary>
    [Parameter(Mandatory = true, Position = 2)]
    [ValidateNotNullOrEmpty]
    public string Url { get; set; } = null!;

    [Parameter]
    public SecureString? SigningSecret { get; set; }

    [Parameter]
    public NotificationEventKind[]? Event { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(ProjectNameCompleter))]
    public string[]? Project { get; set; }

    [Parameter]
    public TimeSpan? MinInterval { get; set; }

    [Parameter]
    public string? From { get; set; }

    [Parameter]
    public string[]? To { get; set; }

    /// <summary>The SMTP login and password.</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    [Parameter]
    public SmtpSecurity? SmtpSecurity { get; set; }

    [Parameter]
    public string? CaFile { get; set; }

    protected override void ProcessRecord()
    {
        if (!ShouldProcess($"notification channel {Name} ({Type})", "Add")) return;
        TryInvoke(() => WriteObject(Engine.AddNotificationChannel(Name, NotificationSpecs.Build(Type, Url, SigningSecret, Event, Project, MinInterval,
            From, To, Credential, SmtpSecurity, CaFile is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(CaFile)))));
    }
}
