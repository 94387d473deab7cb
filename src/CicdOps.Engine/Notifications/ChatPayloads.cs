using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CicdOps.Engine.Notifications;

/// <summary>
/// The JSON body each HTTP channel type receives. The generic webhook's body is documented in the README
/// ("Notifications"); the chat bodies follow each service's incoming-webhook format. Text from events (reasons,
/// commit messages) is escaped for each format, and Discord is told to ping nobody (an `@everyone` in a reason
/// must not reach a whole server).
/// </summary>
internal static class ChatPayloads
{
    // Readable UTF-8 (×, ✅) rather than \u escapes; these bodies are never embedded in HTML by us.
    private static readonly JsonSerializerOptions Options = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Build(NotificationChannelType type, NotificationMessage m, long deliveryId) => type switch
    {
        NotificationChannelType.Webhook => Generic(m, deliveryId),
        NotificationChannelType.Slack => Slack(m),
        NotificationChannelType.Discord => Discord(m),
        NotificationChannelType.Teams => Teams(m),
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static string Generic(NotificationMessage m, long deliveryId)
    {
        var o = new JsonObject
        {
            ["version"] = 1,
            ["id"] = deliveryId.ToString(CultureInfo.InvariantCulture),
            ["event"] = m.Kind.ToName(),
            ["title"] = NotificationText.Title(m),
            ["text"] = NotificationText.PlainText(m),
            ["project"] = m.Project,
            ["node"] = m.Node,
            ["commit"] = m.Commit,
            ["commitUrl"] = m.CommitUrl,
            ["reason"] = m.Reason,
            ["subject"] = m.Subject,
            ["command"] = m.Command,
            ["count"] = m.Count,
            ["repeats"] = m.Repeats,
            ["repeatsSince"] = m.RepeatsSince?.ToString("O", CultureInfo.InvariantCulture),
            ["occurredAt"] = m.OccurredAt.ToString("O", CultureInfo.InvariantCulture),
        };
        return o.ToJsonString(Options);
    }

    private static string Slack(NotificationMessage m)
    {
        static string Esc(string s) => s.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
        var text = $"{Icon(m)} *{Esc(NotificationText.Title(m))}*\n" + string.Join("\n", NotificationText.Lines(m).Select(Esc));
        return new JsonObject { ["text"] = text }.ToJsonString(Options);
    }

    private static string Discord(NotificationMessage m)
    {
        var text = $"{Icon(m)} **{NotificationText.Title(m)}**\n" + string.Join("\n", NotificationText.Lines(m));
        if (text.Length > 2000) text = text[..1999] + "…";
        return new JsonObject
        {
            ["content"] = text,
            ["allowed_mentions"] = new JsonObject { ["parse"] = new JsonArray() },
        }.ToJsonString(Options);
    }

    /// <summary>A Teams workflow ("When a Teams webhook request is received") takes a message with an Adaptive Card.</summary>
    private static string Teams(NotificationMessage m)
    {
        var body = new JsonArray
        {
            new JsonObject
            {
                ["type"] = "TextBlock", ["text"] = $"{Icon(m)} {NotificationText.Title(m)}", ["weight"] = "Bolder", ["size"] = "Medium", ["wrap"] = true,
                ["color"] = NotificationText.Severity(m.Kind) switch { 0 => "Good", 2 => "Attention", _ => "Default" },
            },
        };
        foreach (var line in NotificationText.Lines(m)) body.Add(new JsonObject { ["type"] = "TextBlock", ["text"] = line, ["wrap"] = true });
        var card = new JsonObject
        {
            ["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json",
            ["type"] = "AdaptiveCard",
            ["version"] = "1.4",
            ["body"] = body,
        };
        return new JsonObject
        {
            ["type"] = "message",
            ["attachments"] = new JsonArray
            {
                new JsonObject { ["contentType"] = "application/vnd.microsoft.card.adaptive", ["contentUrl"] = null, ["content"] = card },
            },
        }.ToJsonString(Options);
    }

    private static string Icon(NotificationMessage m) => NotificationText.Severity(m.Kind) switch { 0 => "✅", 2 => "❌", _ => "ℹ️" };
}
