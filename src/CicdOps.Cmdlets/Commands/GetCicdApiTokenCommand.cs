using System.Management.Automation;
using CicdOps.Cmdlets.Completion;
using CicdOps.Cmdlets.Infrastructure;

namespace CicdOps.Cmdlets.Commands;

/// <summary>Get-CicdApiToken: the API tokens (never their values), revoked and expired ones included.</summary>
[Cmdlet(VerbsCommon.Get, "CicdApiToken")]
[OutputType(typeof(ApiToken))]
public sealed class GetCicdApiTokenCommand : CicdCmdlet
{
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ApiTokenNameCompleter))]
    [SupportsWildcards]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        TryInvoke(() =>
        {
            var patterns = Name?.Select(n => WildcardPattern.Get(n, WildcardOptions.IgnoreCase)).ToList();
            WriteObject(Engine.GetApiTokens().Where(t => patterns is null || patterns.Any(p => p.IsMatch(t.Name))), enumerateCollection: true);
        });
    }
}
