using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace CicdOps.Server.Api;

/// <summary>
/// JSON of the project API: the fleet's conventions (camelCase, enums by name, nulls left out), without the server's
/// own file paths (a deployment's log path, a pipeline run's log directory): a caller reads logs through the API.
/// </summary>
internal static class ApiJson
{
    private static readonly HashSet<string> Hidden = new(StringComparer.Ordinal) { "LogPath", "LogDirectory", "InstallScriptHash" };

    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver
        {
            Modifiers =
            {
                ti =>
                {
                    if (ti.Kind != JsonTypeInfoKind.Object) return;
                    for (var i = ti.Properties.Count - 1; i >= 0; i--)
                        if (ti.Properties[i].AttributeProvider is System.Reflection.MemberInfo m && Hidden.Contains(m.Name)) ti.Properties.RemoveAt(i);
                },
            },
        },
    };

    public static byte[] Bytes<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, Options);
}
