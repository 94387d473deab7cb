using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using CicdOps.Engine.Secrets;

namespace CicdOps.Cmdlets.Completion;

/// <summary>Tab completion for a secret's -Name: the names (never values) of the secrets of the project bound to -Project.</summary>
public sealed class SecretNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var project = CompletionText.FirstString(fakeBoundParameters["Project"]);
        if (project is null) return Array.Empty<CompletionResult>();
        var pattern = WildcardPattern.Get(CompletionText.Unquote(wordToComplete) + "*", WildcardOptions.IgnoreCase);
        var secrets = CompletionText.Safely(() => CompletionText.ExistingEngine(fakeBoundParameters)?
            .GetSecrets(project) ?? Enumerable.Empty<SecretInfo>());
        return secrets
            .Where(s => pattern.IsMatch(s.Name))
            .OrderBy(s => s.Name, StringComparer.OrdinalIgnoreCase)
            .Select(s => new CompletionResult(CompletionText.Quote(s.Name), s.Name, CompletionResultType.ParameterValue, $"{s.Name} (set {s.UpdatedAt:u})"));
    }
}
