using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace CicdOps.Cmdlets.Completion;

/// <summary>
/// Tab completion for -Node: this server's node name, and the fleet's node names when the registry answers within a
/// second (completion must never hang on an unreachable registry).
/// </summary>
public sealed class FleetNodeNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var pattern = WildcardPattern.Get(CompletionText.Unquote(wordToComplete) + "*", WildcardOptions.IgnoreCase);
        var names = CompletionText.Safely(() => Names(fakeBoundParameters));
        return names
            .Where(pattern.IsMatch)
            .Distinct(StringComparer.Ordinal)
            .OrderBy(n => n, StringComparer.OrdinalIgnoreCase)
            .Select(n => new CompletionResult(CompletionText.Quote(n), n, CompletionResultType.ParameterValue, n));
    }

    private static IEnumerable<string> Names(IDictionary bound)
    {
        var engine = CompletionText.ExistingEngine(bound);
        if (engine is null) return [];
        return FleetCompletion.NodeNames(engine);
    }
}

/// <summary>Reads the fleet's names for completers; kept apart so the completer's public surface names no engine type.</summary>
internal static class FleetCompletion
{
    public static IEnumerable<string> NodeNames(CicdOps.Engine.CicdEngine engine)
    {
        var names = new List<string> { engine.GetNodeIdentity().Name };
        if (engine.GetFleetMembership() is null) return names;
        using var cut = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try
        {
            var task = CicdOps.Fleet.FleetMembershipActions.SnapshotAsync(engine, 0, cut.Token);
            if (task.Wait(TimeSpan.FromSeconds(1))) names.AddRange(task.Result.Nodes.Select(n => n.Name));
        }
        catch (Exception) { } // completion offers what it has
        return names;
    }
}
