using CicdOps.Engine.Listener;
using CicdOps.Engine.State;
using CicdOps.Engine.Webhooks;

namespace CicdOps.Engine;

// The webhook side of the engine API, kept beside the webhook code so CicdEngine.cs stays the lead's.
public sealed partial class CicdEngine
{
    /// <summary>Recorded webhook deliveries, newest first (Get-CicdWebhookDelivery, `cicdops deliveries`).</summary>
    public IReadOnlyList<WebhookDelivery> GetWebhookDeliveries(int limit = 50, string? provider = null) =>
        new WebhookDeliveryStore(new Database(DataPath)).List(limit, provider);

    /// <summary>
    /// A webhook listener that deploys through this engine (`cicdops listen`, Start-CicdListener). Call
    /// <see cref="WebhookListener.Validate"/> first to report bad options in one line, then Start or RunAsync.
    /// </summary>
    public WebhookListener CreateWebhookListener(ListenerOptions options) =>
        new(options, new EngineDeployTarget(this), new WebhookDeliveryStore(new Database(DataPath)));
}
