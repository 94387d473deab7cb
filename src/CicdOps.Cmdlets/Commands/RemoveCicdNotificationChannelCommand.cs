using System.Management.Automation;
using CicdOps.Cmdlets.Completion;
using CicdOps.Cmdlets.Infrastructure;

namespace CicdOps.Cmdlets.Commands;

/// <summary>Remove-CicdNotificationChannel: removes channels with their pending and past messages (binds Name from Get-CicdNotificationChannel).</summary>
[Cmdlet(VerbsCommon.Remove, "CicdNotificationChannel", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(NotificationChannel))]
public sealed class RemoveCicdNotificationChannelCommand : CicdCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ChannelNameCompleter))]
    public string[] Name { get; set; } = null!;

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var name in Name)
        {
            if (!ShouldProcess($"notification channel {name}", "Remove")) continue;
            TryInvoke(() =>
            {
                var before = Engine.GetNotificationChannel(name);
                Engine.RemoveNotificationChannel(name);
                if (PassThru) WriteObject(before);
            });
        }
    }
}
