using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace CicdOps.Cmdlets.Completion;

/// <summary>Tab completion for the token cmdlets' -Name: the tokens that are not revoked.</summary>
public sealed class ApiTokenNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var pattern = WildcardPattern.Get(CompletionText.Unquote(wordToComplete) + "*", WildcardOptions.IgnoreCase);
        var names = CompletionText.Safely(() => CompletionText.ExistingEngine(fakeBoundParameters)?
            .GetApiTokens().Where(t => !t.IsRevoked).Select(t => t.Name) ?? Enumerable.Empty<string>());
        return names
            .Where(pattern.IsMatch)
            .OrderBy(n => n, StringComparer.OrdinalIgnoreCase)
            .Select(n => new CompletionResult(CompletionText.Quote(n), n, CompletionResultType.ParameterValue, n));
    }
}
