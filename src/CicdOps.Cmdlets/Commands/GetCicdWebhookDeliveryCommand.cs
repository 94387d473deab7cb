using System.Management.Automation;
using CicdOps.Cmdlets.Infrastructure;
using CicdOps.Engine.Webhooks;

namespace CicdOps.Cmdlets.Commands;

/// <summary>Get-CicdWebhookDelivery: the webhook requests the listener recorded, newest first.</summary>
[Cmdlet(VerbsCommon.Get, "CicdWebhookDelivery")]
[OutputType(typeof(WebhookDelivery))]
public sealed class GetCicdWebhookDeliveryCommand : CicdCmdlet
{
    /// <summary>How many deliveries to return, newest first.</summary>
    [Parameter]
    [ValidateRange(1, 100000)]
    public int Last { get; set; } = 50;

    /// <summary>Only deliveries from this Git host (Forgejo deliveries are recorded as Forgejo).</summary>
    [Parameter]
    public WebhookProvider? Provider { get; set; }

    protected override void ProcessRecord() =>
        TryInvoke(() => WriteObject(Engine.GetWebhookDeliveries(Last, Provider?.ToName()), enumerateCollection: true));
}
