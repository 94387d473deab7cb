using System.Text.Json;
using CicdOps.Engine;

namespace CicdOps.Cli;

/// <summary>
/// How an engine error reaches stderr: one line `cicdops: message` for people; with CICDOPS_ERROR_FORMAT=json (set by
/// the PowerShell module for the processes it runs) one JSON object with the stable errorId and kind, so the cmdlet
/// raises the same ErrorRecord it would have raised in-process.
/// </summary>
internal static class ErrorOutput
{
    public static void Write(CicdException e)
    {
        if (Environment.GetEnvironmentVariable("CICDOPS_ERROR_FORMAT") == "json")
        {
            Console.Error.WriteLine(JsonSerializer.Serialize(new Dictionary<string, string?>
            {
                ["errorId"] = e.ErrorId, ["kind"] = e.Kind.ToString(), ["message"] = Output.OneLine(e.Message),
                ["target"] = e.Target?.ToString(), ["recommendedAction"] = e.RecommendedAction,
            }));
            return;
        }
        Console.Error.WriteLine("cicdops: " + Output.Error(e));
    }
}
