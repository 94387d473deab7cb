using System.Buffers;
using System.Text.Json;

namespace CicdOps.Engine.Listener;

/// <summary>A response: status code and small JSON body. Bodies never carry secrets or expected signatures.</summary>
internal sealed record WebhookReply(int StatusCode, string Outcome, string? Reason = null, string? Delivery = null,
    ProjectOutcomes? Projects = null, bool Close = false)
{
    public byte[] ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>(192 + (Projects?.ListedJson.Length ?? 0));
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("outcome", Outcome);
            if (Reason is not null) w.WriteString("reason", Reason);
            if (Delivery is not null) w.WriteString("delivery", Delivery);
            if (Projects is not null)
            {
                w.WritePropertyName("projects");
                w.WriteRawValue(Projects.ListedJson, skipInputValidation: true); // written by ProjectOutcomes, valid

                if (Projects.MoreIgnored > 0) w.WriteNumber("more_ignored", Projects.MoreIgnored);
            }
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
