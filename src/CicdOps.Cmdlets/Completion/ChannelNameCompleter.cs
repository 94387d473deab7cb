using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace CicdOps.Cmdlets.Completion;

/// <summary>Tab completion for a notification channel's -Name: the channels that exist (with their type and target, secrets masked).</summary>
public sealed class ChannelNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var pattern = WildcardPattern.Get(CompletionText.Unquote(wordToComplete) + "*", WildcardOptions.IgnoreCase);
        var channels = CompletionText.Safely(() => CompletionText.ExistingEngine(fakeBoundParameters)?
            .GetNotificationChannels() ?? Enumerable.Empty<NotificationChannel>());
        return channels
            .Where(c => pattern.IsMatch(c.Name))
            .OrderBy(c => c.Name, StringComparer.OrdinalIgnoreCase)
            .Select(c => new CompletionResult(CompletionText.Quote(c.Name), c.Name, CompletionResultType.ParameterValue, $"{c.Name} ({c.Type}: {c.Target})"));
    }
}
