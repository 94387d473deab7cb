namespace CicdOps.Engine.Webhooks;

/// <summary>
/// What the headers of a delivery say: who sent it, which event, its delivery id and its signature.
/// Nothing here is trusted until the signature is verified.
/// </summary>
public sealed record WebhookHeaders
{
    public required WebhookProvider Provider { get; init; }
    /// <summary>The provider's event name as sent ("push", "Push Hook", "repo:push", ...).</summary>
    public required string Event { get; init; }
    /// <summary>The provider's delivery id, or null when the host sent none.</summary>
    public string? DeliveryId { get; init; }
    /// <summary>The raw signature (or GitLab token) header value; null when absent.</summary>
    public string? Signature { get; init; }

    /// <summary>A push of branches or tags (as opposed to ping and anything else).</summary>
    public bool IsPush => Provider switch
    {
        WebhookProvider.GitHub or WebhookProvider.Gitea or WebhookProvider.Forgejo => Event == "push",
        WebhookProvider.GitLab => Event is "Push Hook" or "Tag Push Hook",
        WebhookProvider.Bitbucket => Event == "repo:push",
        _ => false,
    };

    public bool IsPing => Provider == WebhookProvider.GitHub && Event == "ping";

    /// <summary>A pull or merge request event (opened, updated, ...; the payload says which).</summary>
    public bool IsPullRequest => Provider switch
    {
        WebhookProvider.GitHub => Event == "pull_request",
        WebhookProvider.Gitea or WebhookProvider.Forgejo => Event is "pull_request" or "pull_request_sync",
        WebhookProvider.GitLab => Event == "Merge Request Hook",
        WebhookProvider.Bitbucket => Event is "pullrequest:created" or "pullrequest:updated",
        _ => false,
    };

    /// <summary>The headers that may carry this provider's signature or token (each must come at most once).</summary>
    public IReadOnlyList<string> SignatureHeaders => Provider switch
    {
        WebhookProvider.GitHub => ["X-Hub-Signature-256", "X-Hub-Signature"],
        WebhookProvider.GitLab => ["X-Gitlab-Token"],
        WebhookProvider.Bitbucket => ["X-Hub-Signature"],
        WebhookProvider.Forgejo => ["X-Forgejo-Signature", "X-Gitea-Signature"],
        _ => ["X-Gitea-Signature"],
    };
}

/// <summary>Recognises the provider from request headers.</summary>
public static class WebhookHeaderReader
{
    public const int MaxDeliveryIdLength = 200;

    /// <summary>
    /// Reads the provider headers; returns null (with a one-line <paramref name="error"/>) when no known
    /// provider sent the request or its headers are unusable.
    /// </summary>
    public static WebhookHeaders? Read(Func<string, string?> header, out string? error)
    {
        error = null;
        // Order matters: Forgejo also sends X-Gitea-Event, and Gitea also sends X-GitHub-Event for compatibility.
        WebhookHeaders? h;
        if (header("X-Forgejo-Event") is { } fe)
            h = Make(WebhookProvider.Forgejo, fe, header("X-Forgejo-Delivery") ?? header("X-Gitea-Delivery"),
                header("X-Forgejo-Signature") ?? header("X-Gitea-Signature"));
        else if (header("X-Gitea-Event") is { } ge)
            h = Make(WebhookProvider.Gitea, ge, header("X-Gitea-Delivery"), header("X-Gitea-Signature"));
        else if (header("X-Gitlab-Event") is { } gl)
            h = Make(WebhookProvider.GitLab, gl, header("X-Gitlab-Event-UUID"), header("X-Gitlab-Token"));
        else if (header("X-Event-Key") is { } bb)
            // Not X-Hook-UUID: it names the webhook, so it is the same for every delivery and would make all
            // but the first look like duplicates. Without X-Request-UUID the body hash stands in (see handler).
            h = Make(WebhookProvider.Bitbucket, bb, header("X-Request-UUID"), header("X-Hub-Signature"));
        else if (header("X-GitHub-Event") is { } gh)
            // X-Hub-Signature (SHA-1) is only a fallback; the verifier refuses its sha1= prefix.
            h = Make(WebhookProvider.GitHub, gh, header("X-GitHub-Delivery"), header("X-Hub-Signature-256") ?? header("X-Hub-Signature"));
        else
        {
            error = "unknown provider: no GitHub, GitLab, Gitea, Forgejo or Bitbucket event header";
            return null;
        }

        if (h.Event.Length == 0 || h.Event.Length > 100 || !IsPrintableAscii(h.Event))
        {
            error = "invalid event header";
            return null;
        }
        if (h.DeliveryId is { } id && (id.Length == 0 || id.Length > MaxDeliveryIdLength || !IsPrintableAscii(id)))
        {
            error = "invalid delivery id header";
            return null;
        }
        return h;
    }

    private static WebhookHeaders Make(WebhookProvider p, string evt, string? id, string? sig) => new()
    {
        Provider = p,
        Event = evt.Trim(),
        DeliveryId = string.IsNullOrWhiteSpace(id) ? null : id.Trim(),
        Signature = string.IsNullOrEmpty(sig) ? null : sig.Trim(),
    };

    internal static bool IsPrintableAscii(string s)
    {
        foreach (var ch in s)
            if (ch < 0x20 || ch > 0x7e) return false;
        return true;
    }
}
