using System.Management.Automation;
using CicdOps.Cmdlets.Completion;
using CicdOps.Cmdlets.Infrastructure;

namespace CicdOps.Cmdlets.Commands;

/// <summary>Get-CicdNotification: recent messages per channel, newest first — sent, pending (with the last error), suppressed repeats, given up.</summary>
[Cmdlet(VerbsCommon.Get, "CicdNotification")]
[OutputType(typeof(NotificationDelivery))]
public sealed class GetCicdNotificationCommand : CicdCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ChannelNameCompleter))]
    public string? Channel { get; set; }

    [Parameter]
    [ValidateRange(1, 10000)]
    public int Limit { get; set; } = 20;

    protected override void ProcessRecord() =>
        TryInvoke(() => WriteObject(Engine.GetNotificationHistory(Channel, Limit), enumerateCollection: true));
}
