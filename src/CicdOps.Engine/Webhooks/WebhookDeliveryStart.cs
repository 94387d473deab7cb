namespace CicdOps.Engine.Webhooks;

/// <summary>What is known about a delivery when it arrives (before it is handled).</summary>
public sealed record WebhookDeliveryStart
{
    public required string Provider { get; init; }
    public required string DeliveryId { get; init; }
    public required string Event { get; init; }
    public string? Repository { get; init; }
    public string? Ref { get; init; }
    public string? Commit { get; init; }
    public required string Signature { get; init; }
}

/// <summary>Requests of one provider answered <paramref name="StatusCode"/> before their signature held.</summary>
public sealed record UnverifiedCount(string Provider, int StatusCode, long Count, DateTimeOffset FirstAt, DateTimeOffset LastAt);
