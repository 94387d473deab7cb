using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace CicdOps.Cmdlets.Completion;

/// <summary>Tab completion for -Artifact: the keys of the artifacts and caches of the project bound to -Name (and -RunId), else of every project.</summary>
public sealed class ArtifactKeyCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var project = CompletionText.FirstString(fakeBoundParameters["Name"]);
        var run = CompletionText.FirstString(fakeBoundParameters["RunId"]);
        var prefix = CompletionText.Unquote(wordToComplete);
        var entries = CompletionText.Safely(() => CompletionText.ExistingEngine(fakeBoundParameters) is { } engine
            ? engine.GetPipelineArtifacts(project, run)
            : Enumerable.Empty<PipelineArtifact>());
        return entries
            .Where(a => a.Key.StartsWith(prefix, StringComparison.Ordinal))
            .GroupBy(a => a.Key).Select(g => g.First())
            .Select(a => new CompletionResult(CompletionText.Quote(a.Key), a.Key, CompletionResultType.ParameterValue,
                $"{a.Kind} {a.Key} ({a.Project}, run {a.RunId})"));
    }
}
