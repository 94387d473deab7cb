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
    /// A webhook listener that deploys through this engine (`cicdops listen`, Start-CicdListener), ready to Start
    /// or RunAsync. Bad or unsafe options throw <see cref="CicdException"/> with a one-line reason.
    /// Projects' own webhook secrets apply unless <see cref="ListenerOptions.ProjectSecret"/> is given: they are
    /// re-read at most once per <see cref="ProjectWebhookSecrets.RefreshInterval"/>, so a secret set or removed
    /// while the listener runs applies within that time.
    /// </summary>
    public WebhookListener CreateWebhookListener(ListenerOptions options)
    {
        // With no global secret, binding off loopback needs some project to have its own secret already.
        var check = options.ProjectSecret is null && AnyProjectWebhookSecret() ? options with { ProjectSecret = _ => null } : options;
        if (check.Validate() is { } refusal) throw new CicdException(CicdError.InvalidArgument, refusal, options.Prefix);
        return new(options with { ProjectSecret = options.ProjectSecret ?? new ProjectWebhookSecrets(LoadProjectWebhookSecrets).Get },
            new EngineDeployTarget(this), new WebhookDeliveryStore(new Database(DataPath)));
    }
}
