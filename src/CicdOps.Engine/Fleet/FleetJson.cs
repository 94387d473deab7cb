using System.Text.Json;
using System.Text.Json.Serialization;

namespace CicdOps.Engine.Fleet;

/// <summary>
/// How fleet rows are written as JSON everywhere (`GET /api/fleet`, the SSE stream, `cicdops fleet --json`):
/// camelCase names, enums as their names, absent values left out.
/// </summary>
public static class FleetJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static FleetUpdate? Deserialize(string json) => JsonSerializer.Deserialize<FleetUpdate>(json, Options);
}
