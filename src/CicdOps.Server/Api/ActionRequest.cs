using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace CicdOps.Server.Api;

/// <summary>An action's parameters, from a JSON body (curl, scripts) or a form (the dashboard's buttons): commit, pin, force.</summary>
internal sealed record ActionRequest(string? Commit, bool Pin, bool Force)
{
    private const int MaxBody = 16 * 1024;

    public static async Task<ActionRequest> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength is > MaxBody) throw new BadRequest("the request body is too large");
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(ct);
            return new(Blank(form["commit"].ToString()), Flag(form["pin"].ToString()), Flag(form["force"].ToString()));
        }
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, ct);
        if (buffer.Length > MaxBody) throw new BadRequest("the request body is too large");
        if (buffer.Length == 0) return new(null, false, false);
        try
        {
            using var doc = JsonDocument.Parse(buffer.ToArray());
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new BadRequest("the body must be a JSON object");
            string? commit = null; bool pin = false, force = false;
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "commit" when p.Value.ValueKind is JsonValueKind.String or JsonValueKind.Null: commit = Blank(p.Value.GetString()); break;
                    case "pin" when p.Value.ValueKind is JsonValueKind.True or JsonValueKind.False: pin = p.Value.GetBoolean(); break;
                    case "force" when p.Value.ValueKind is JsonValueKind.True or JsonValueKind.False: force = p.Value.GetBoolean(); break;
                    default: throw new BadRequest($"unknown or mistyped field '{p.Name}' (use commit: string, pin: bool, force: bool)");
                }
            }
            return new(commit, pin, force);
        }
        catch (JsonException e) { throw new BadRequest("the body is not valid JSON: " + e.Message.Split('.')[0]); }
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
    private static bool Flag(string s) => s is "true" or "on" or "1";
}

/// <summary>A request the API refuses before anything is done (400 with the reason).</summary>
internal sealed class BadRequest(string message) : Exception(message);
