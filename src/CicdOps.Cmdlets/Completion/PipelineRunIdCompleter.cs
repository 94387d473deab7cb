using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace CicdOps.Cmdlets.Completion;

/// <summary>Tab completion for -RunId: the runs of the project bound to -Name, else of every project (newest first).</summary>
public sealed class PipelineRunIdCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var project = CompletionText.FirstString(fakeBoundParameters["Name"]);
        var prefix = CompletionText.Unquote(wordToComplete);
        var runs = CompletionText.Safely(() => CompletionText.ExistingEngine(fakeBoundParameters) is { } engine
            ? (project is null ? engine.GetProjects().Select(p => p.Name) : new[] { project })
                .SelectMany(p => engine.GetPipelineRuns(p, 20)).OrderByDescending(r => r.StartedAt).ToList()
            : Enumerable.Empty<PipelineRun>());
        return runs
            .Where(r => r.RunId.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Select(r => new CompletionResult(r.RunId, r.RunId, CompletionResultType.ParameterValue, $"{r.RunId} {r.Status} {r.Commit[..Math.Min(8, r.Commit.Length)]}"));
    }
}
