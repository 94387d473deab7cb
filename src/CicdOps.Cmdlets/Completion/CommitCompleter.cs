using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using CicdOps.Engine.Model;

namespace CicdOps.Cmdlets.Completion;

/// <summary>Tab completion for -Commit: commits recently deployed for the project bound to -Name, newest first.</summary>
public sealed class CommitCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var project = CompletionText.FirstString(fakeBoundParameters["Name"]);
        if (project is null) return Array.Empty<CompletionResult>();
        var prefix = CompletionText.Unquote(wordToComplete);
        var deployments = CompletionText.Safely(() => CompletionText.ExistingEngine(fakeBoundParameters)?
            .GetDeployments(project) ?? Enumerable.Empty<Deployment>());
        return deployments
            .Where(d => d.Commit is not null && d.Commit.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .GroupBy(d => d.Commit!, StringComparer.OrdinalIgnoreCase)
            .Select(g => g.First())
            .Select(d => new CompletionResult(d.Commit!, d.Commit![..Math.Min(8, d.Commit!.Length)],
                CompletionResultType.ParameterValue, $"{d.Commit} {d.Status} {d.QueuedAt:u}"));
    }
}
