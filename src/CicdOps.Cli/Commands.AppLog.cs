using CicdOps.Engine;

namespace CicdOps.Cli;

internal static partial class Commands
{
    /// <summary>`logs NAME --app`: the app's own output; with --follow, new lines until Ctrl+C.</summary>
    private static async Task<int> AppLog(CicdEngine engine, string project, bool follow)
    {
        var (text, offset) = engine.ReadAppLog(project);
        if (!follow && text.Length == 0)
        {
            Console.Error.WriteLine($"cicdops: {project}'s app has written nothing yet (its log is empty or not created)");
            return ExitCodes.Error;
        }
        Console.Out.Write(text);
        if (!follow) return ExitCodes.Ok;
        using var scope = Interrupt.Catch();
        try
        {
            while (true)
            {
                await Task.Delay(250, Interrupt.Token);
                (text, offset) = engine.ReadAppLog(project, offset);
                Console.Out.Write(text);
            }
        }
        catch (OperationCanceledException) when (Interrupt.Requested) { return ExitCodes.Interrupted; }
    }
}
