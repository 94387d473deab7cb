using System.CommandLine;
using CicdOps.Engine;

namespace CicdOps.Cli;

/// <summary>
/// Hidden `cicdops log-pump NAME`: the engine starts it (EngineOptions.LogPumpCommand) at the end of each app's
/// output pipe; it masks the project's secrets and appends the output to app.log. Not for people.
/// </summary>
public static class LogPumpCommand
{
    public const string Name = "log-pump";

    /// <param name="dataDir">The global --data-dir option.</param>
    public static Command Create(Option<string?> dataDir)
    {
        var project = new Argument<string>("name") { Description = "The project whose app output arrives on stdin." };
        var command = new Command(Name, "Masks an app's output into its app.log (used by the engine).") { Hidden = true };
        command.Arguments.Add(project);
        command.SetAction(parse =>
        {
            using var engine = CicdEngine.Open(new EngineOptions { DataPath = parse.GetValue(dataDir) });
            using var stdin = Console.OpenStandardInput();
            engine.PumpAppLog(parse.GetValue(project)!, stdin, CancellationToken.None);
            return 0;
        });
        return command;
    }

    /// <summary>The argv prefix for EngineOptions.LogPumpCommand: this executable, the data directory, then the command.</summary>
    public static IReadOnlyList<string> Argv(string dataPath)
    {
        var self = Environment.ProcessPath ?? "cicdops";
        var argv = new List<string> { self };
        // Running as `dotnet cicdops.dll`: the host needs the assembly path.
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") argv.Add(typeof(LogPumpCommand).Assembly.Location);
        argv.AddRange(new[] { "--data-dir", dataPath, Name });
        return argv;
    }
}
