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

    /// <summary>Requests the listener answered before their signature held, counted per provider and status.</summary>
    public IReadOnlyList<UnverifiedCount> GetUnverifiedWebhookCounts() =>
        new WebhookDeliveryStore(new Database(DataPath)).UnverifiedCounts();

    /// <summary>
    /// Deletes recorded deliveries older than <paramref name="olderThan"/> and beyond the newest <paramref name="keep"/>
    /// (`cicdops deliveries prune`; the listener does the same every hour with its retention options). Returns the count.
    /// </summary>
    public int PruneWebhookDeliveries(TimeSpan? olderThan, int? keep)
    {
        if (olderThan is null && keep is null)
            throw new CicdException(CicdError.InvalidArgument, "Say what to prune: an age, a number of deliveries to keep, or both.");
        return new WebhookDeliveryStore(new Database(DataPath)).Prune(olderThan, keep);
    }

    /// <summary>
    /// A webhook listener that deploys through this engine (`cicdops listen`), served by <paramref name="server"/>
    /// (Kestrel, from CicdOps.Server), ready to Start or RunAsync. Bad or unsafe options throw
    /// <see cref="CicdException"/> with a one-line reason. Projects' own webhook secrets apply unless
    /// <see cref="ListenerOptions.ProjectSecret"/> is given: they are re-read at most once per
    /// <see cref="ProjectWebhookSecrets.RefreshInterval"/>, so a secret set or removed while the listener runs applies
    /// within that time.
    /// </summary>
    public WebhookListener CreateWebhookListener(ListenerOptions options, IHttpServer server) =>
        CreateWebhookListener(options, server, EngineDeployTarget.RefreshInterval);

    /// <summary>As above, reading the project list at most once per <paramref name="projectRefresh"/> (tests hold a snapshot).</summary>
    internal WebhookListener CreateWebhookListener(ListenerOptions options, IHttpServer server, TimeSpan projectRefresh)
    {
        // With no global secret, starting needs some project to have its own secret already (or AllowUnsigned).
        var check = options.ProjectSecret is null && AnyProjectWebhookSecret() ? options with { ProjectSecret = _ => null } : options;
        if (check.Validate() is { } refusal) throw new CicdException(CicdError.InvalidArgument, refusal, options.Prefix);
        return new(options with { ProjectSecret = options.ProjectSecret ?? new ProjectWebhookSecrets(LoadProjectWebhookSecrets).Get },
            new EngineDeployTarget(this, projectRefresh), new WebhookDeliveryStore(new Database(DataPath), maxWalBytes: options.MaxWalBytes), server);
    }
}
