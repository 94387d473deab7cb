using System.CommandLine;
using System.CommandLine.Invocation;
using CicdOps.Engine;

namespace CicdOps.Cli;

/// <summary>
/// `cicdops`: parse → one engine call → format. Errors are one line on stderr: `cicdops: message`.
/// Exit codes are listed in <see cref="ExitCodes"/>.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        try
        {
            var root = Commands.BuildFor(args);
            var result = root.Parse(args);
            if (result.Action is ParseErrorAction)
            {
                var messages = result.Errors.Select(e => Output.OneLine(e.Message).TrimEnd('.')).Distinct().ToList();
                // "cicdops bogus" reports both a missing and an unknown command; the unknown one is the useful part.
                if (messages.Count > 1) messages.RemoveAll(m => m.StartsWith("Required command was not provided", StringComparison.Ordinal));
                Console.Error.WriteLine($"cicdops: {string.Join("; ", messages)}{Suggestion(result)} — see: {CommandPath(result)} --help");
                return ExitCodes.Usage;
            }
            var config = new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false };
            return await result.InvokeAsync(config);
        }
        catch (CicdException e)
        {
            ErrorOutput.Write(e);
            return ExitCodes.Error;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"cicdops: internal error: {Output.OneLine(e.GetType().Name + ": " + e.Message)} (run with CICDOPS_DEBUG=1 for details)");
            if (Environment.GetEnvironmentVariable("CICDOPS_DEBUG") == "1") Console.Error.WriteLine(e);
            return ExitCodes.Internal;
        }
    }

    /// <summary>"; did you mean 'deploy'?" for the first unknown word close to a command or option of where it was typed.</summary>
    private static string Suggestion(ParseResult result)
    {
        var command = result.CommandResult.Command;
        var names = command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name)
            .Concat(command.Options.Where(o => !o.Hidden).Select(o => o.Name));
        foreach (var token in result.UnmatchedTokens)
            if (Engine.Validation.Nearest.Of(token, names) is { } near) return $"; did you mean '{near}'?";
        return "";
    }

    private static string CommandPath(ParseResult result)
    {
        var names = new List<string>();
        for (var c = result.CommandResult; c is not null; c = c.Parent as System.CommandLine.Parsing.CommandResult)
            names.Insert(0, c.Command is RootCommand ? "cicdops" : c.Command.Name);
        return string.Join(' ', names);
    }
}
