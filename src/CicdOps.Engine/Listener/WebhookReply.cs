using System.Buffers;
using System.Text.Json;

namespace CicdOps.Engine.Listener;

/// <summary>What happened to one project for one delivery: "queued", "pinned", "ignored" or "rejected", and why.</summary>
public sealed record ProjectOutcome(string Project, string Result, string? Reason = null, long? Deployment = null)
{
    /// <summary>The queue entry made for a "queued" result, so a runner can be started once it is committed.</summary>
    internal Deploy.QueuedDeployment? Queued { get; init; }
}

/// <summary>A response: status code and small JSON body. Bodies never carry secrets or expected signatures.</summary>
internal sealed record WebhookReply(int StatusCode, string Outcome, string? Reason = null, string? Delivery = null,
    IReadOnlyList<ProjectOutcome>? Projects = null, bool Close = false)
{
    /// <summary>
    /// Ignored projects listed per delivery; the rest are only counted ("more_ignored"). A repository shared by
    /// hundreds of projects on different branches would otherwise make every reply and record hundreds of
    /// "other branch" entries long. Projects that deploy, are pinned, failed or were rejected are always listed.
    /// </summary>
    public const int IgnoredListed = 10;

    public byte[] ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("outcome", Outcome);
            if (Reason is not null) w.WriteString("reason", Reason);
            if (Delivery is not null) w.WriteString("delivery", Delivery);
            if (Projects is not null)
            {
                w.WritePropertyName("projects");
                var more = WriteProjects(w, Projects);
                if (more > 0) w.WriteNumber("more_ignored", more);
            }
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// The per-project results as a JSON array (the delivery's stored detail); when ignored projects were left out,
    /// a last element {"more_ignored": N} counts them.
    /// </summary>
    public static string ProjectsJson(IReadOnlyList<ProjectOutcome> projects)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            var more = WriteProjects(w, projects, close: false);
            if (more > 0)
            {
                w.WriteStartObject();
                w.WriteNumber("more_ignored", more);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Writes the listed projects as an array; returns how many ignored ones were left out.</summary>
    private static int WriteProjects(Utf8JsonWriter w, IReadOnlyList<ProjectOutcome> projects, bool close = true)
    {
        w.WriteStartArray();
        var ignored = 0;
        foreach (var p in projects)
        {
            if (p.Result == "ignored" && ++ignored > IgnoredListed) continue;
            w.WriteStartObject();
            w.WriteString("project", p.Project);
            w.WriteString("result", p.Result);
            if (p.Reason is not null) w.WriteString("reason", p.Reason);
            if (p.Deployment is { } id) w.WriteNumber("deployment", id);
            w.WriteEndObject();
        }
        if (close) w.WriteEndArray();
        return Math.Max(0, ignored - IgnoredListed);
    }
}
