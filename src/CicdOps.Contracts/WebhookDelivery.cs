namespace CicdOps;

/// <summary>One webhook request as recorded (what Get-CicdWebhookDelivery / `cicdops deliveries` list).</summary>
public sealed record WebhookDelivery
{
    public required long Id { get; init; }
    /// <summary>"github", "gitlab", "gitea", "forgejo", "bitbucket".</summary>
    public required string Provider { get; init; }
    public required string DeliveryId { get; init; }
    public required string Event { get; init; }
    /// <summary>True for the one record that claimed this delivery id; false for rejected requests and duplicates.</summary>
    public bool Accepted { get; init; }
    /// <summary>The payload's repository, normalised (never with credentials).</summary>
    public string? Repository { get; init; }
    public string? Ref { get; init; }
    public string? Commit { get; init; }
    /// <summary>How the signature check ended (valid, invalid, missing, unsigned, ...).</summary>
    public required string Signature { get; init; }
    /// <summary>"received" while being handled, then e.g. "queued", "ignored", "pinned", "duplicate", "rejected";
    /// "stale" once the deployment it queued found its commit behind the branch or what is deployed.</summary>
    public required string Outcome { get; init; }
    public int StatusCode { get; init; }
    /// <summary>Per-project results or the rejection reason (JSON or one line).</summary>
    public string? Detail { get; init; }
    public DateTimeOffset ReceivedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
}
