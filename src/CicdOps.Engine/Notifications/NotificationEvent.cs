namespace CicdOps.Engine.Notifications;

/// <summary>
/// Something worth telling people about, as written to the outbox (<see cref="NotificationOutbox.Enqueue"/>).
/// What happened (<see cref="Kind"/>), where (<see cref="Project"/>, <see cref="Commit"/>, the node), why
/// (<see cref="Reason"/>) and how to look (<see cref="Command"/>; a default per kind when null).
/// </summary>
internal sealed record NotificationEvent(NotificationEventKind Kind)
{
    public string? Project { get; init; }
    /// <summary>The full commit SHA; messages show 7 characters and link the full one when the forge is known.</summary>
    public string? Commit { get; init; }
    /// <summary>The project's repository URL as stored (credentials already redacted); used for the forge link only.</summary>
    public string? Repository { get; init; }
    public string? Reason { get; init; }
    /// <summary>A deployment id, pipeline run id or similar the message names.</summary>
    public string? Subject { get; init; }
    /// <summary>How to look: a CLI command. Null picks the kind's default (<see cref="NotificationText.DefaultCommand"/>).</summary>
    public string? Command { get; init; }
    /// <summary>How many occurrences this one event stands for (e.g. rejected signatures counted over 2 s).</summary>
    public int Count { get; init; } = 1;
    /// <summary>The node; null is this machine's host name.</summary>
    public string? Node { get; init; }
}
