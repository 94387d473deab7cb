using System.Text.Json;
using System.Text.Json.Serialization;

namespace CicdOps.Engine.Notifications;

/// <summary>
/// One message as every channel renders it: the event's facts plus, for a summary, how many repeats it folds.
/// Stored as JSON in notification_deliveries.message, so a retry sends exactly what the first attempt did.
/// </summary>
internal sealed record NotificationMessage
{
    public required NotificationEventKind Kind { get; init; }
    public string? Project { get; init; }
    public required string Node { get; init; }
    public string? Commit { get; init; }
    public string? CommitUrl { get; init; }
    public string? Reason { get; init; }
    public string? Subject { get; init; }
    public required string Command { get; init; }
    public int Count { get; init; } = 1;
    public required DateTimeOffset OccurredAt { get; init; }
    /// <summary>For a summary: how many repeats were held back, and since when.</summary>
    public int Repeats { get; init; }
    public DateTimeOffset? RepeatsSince { get; init; }

    public bool IsSummary => Repeats > 0;

    public string ShortCommit => Commit is null ? "" : Commit[..Math.Min(7, Commit.Length)];

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static NotificationMessage FromJson(string json) => JsonSerializer.Deserialize<NotificationMessage>(json, Json)!;
}
