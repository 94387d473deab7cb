using System.Buffers;
using System.Text.Json;

namespace CicdOps.Engine.Listener;

/// <summary>What happened to one project for one delivery: "queued", "pinned", "ignored" or "rejected", and why.</summary>
public sealed record ProjectOutcome(string Project, string Result, string? Reason = null, long? Deployment = null);

/// <summary>A response: status code and small JSON body. Bodies never carry secrets or expected signatures.</summary>
internal sealed record WebhookReply(int StatusCode, string Outcome, string? Reason = null, string? Delivery = null,
    IReadOnlyList<ProjectOutcome>? Projects = null, bool Close = false)
{
    public byte[] ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("outcome", Outcome);
            if (Reason is not null) w.WriteString("reason", Reason);
            if (Delivery is not null) w.WriteString("delivery", Delivery);
            if (Projects is not null) WriteProjects(w, Projects);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The per-project results as a JSON array (also stored as the delivery's detail).</summary>
    public static string ProjectsJson(IReadOnlyList<ProjectOutcome> projects)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer)) WriteProjects(w, projects, inObject: false);
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteProjects(Utf8JsonWriter w, IReadOnlyList<ProjectOutcome> projects, bool inObject = true)
    {
        if (inObject) w.WriteStartArray("projects"); else w.WriteStartArray();
        foreach (var p in projects)
        {
            w.WriteStartObject();
            w.WriteString("project", p.Project);
            w.WriteString("result", p.Result);
            if (p.Reason is not null) w.WriteString("reason", p.Reason);
            if (p.Deployment is { } id) w.WriteNumber("deployment", id);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
