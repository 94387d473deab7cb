using System.Buffers;
using System.Text.Json;

namespace CicdOps.Engine.Listener;

/// <summary>A response: status code and small JSON body. Bodies never carry secrets or expected signatures.</summary>
internal sealed record WebhookReply(int StatusCode, string Outcome, string? Reason = null, string? Delivery = null,
    ProjectOutcomes? Projects = null, bool Close = false)
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
            if (Projects is not null)
            {
                w.WritePropertyName("projects");
                WriteProjects(w, Projects.Listed);
                if (Projects.MoreIgnored > 0) w.WriteNumber("more_ignored", Projects.MoreIgnored);
            }
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// The per-project results as a JSON array (the delivery's stored detail); when ignored projects were left out,
    /// a last element {"more_ignored": N} counts them.
    /// </summary>
    public static string ProjectsJson(ProjectOutcomes projects)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            WriteProjects(w, projects.Listed, close: false);
            if (projects.MoreIgnored > 0)
            {
                w.WriteStartObject();
                w.WriteNumber("more_ignored", projects.MoreIgnored);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteProjects(Utf8JsonWriter w, List<ProjectOutcome> projects, bool close = true)
    {
        w.WriteStartArray();
        foreach (var p in projects)
        {
            w.WriteStartObject();
            w.WriteString("project", p.Project);
            w.WriteString("result", p.Result);
            if (p.Reason is not null) w.WriteString("reason", p.Reason);
            if (p.Deployment is { } id) w.WriteNumber("deployment", id);
            w.WriteEndObject();
        }
        if (close) w.WriteEndArray();
    }
}
