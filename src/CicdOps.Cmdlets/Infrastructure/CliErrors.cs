using System.Management.Automation;
using System.Text.Json;

namespace CicdOps.Cmdlets.Infrastructure;

/// <summary>
/// Reads the errors the module's `cicdops` child processes print when asked for JSON (CICDOPS_ERROR_FORMAT=json):
/// one object per line with the engine's errorId, kind, message, target and recommendedAction, so a failure in
/// the child becomes the same ErrorRecord the in-process engine would have raised.
/// </summary>
internal static class CliErrors
{
    public const string FormatVariable = "CICDOPS_ERROR_FORMAT";
    public const string JsonFormat = "json";

    public static ErrorRecord ToErrorRecord(IReadOnlyList<string> stderr, int exitCode, string fallbackId, object? target)
    {
        foreach (var line in stderr.Reverse())
        {
            if (!line.StartsWith('{')) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                var id = root.GetProperty("errorId").GetString() ?? fallbackId;
                var kind = Enum.TryParse<Engine.CicdErrorKind>(root.GetProperty("kind").GetString(), out var k) ? k : Engine.CicdErrorKind.InvalidArgument;
                var message = root.GetProperty("message").GetString() ?? "";
                var action = root.TryGetProperty("recommendedAction", out var a) ? a.GetString() : null;
                return CicdErrorRecords.Create(id, CicdErrorRecords.CategoryOf(kind), message, target, action);
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException) { }
        }
        var text = string.Join(" ", stderr.Where(l => l.Trim().Length > 0)).Trim();
        return CicdErrorRecords.Create(fallbackId, ErrorCategory.NotSpecified,
            text.Length > 0 ? text : $"cicdops exited with code {exitCode}.", target);
    }
}
