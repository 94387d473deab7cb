using System.Management.Automation;
using CicdOps.Cmdlets.Completion;
using CicdOps.Cmdlets.Infrastructure;
using CicdOps.Engine;
using CicdOps.Engine.Secrets;

namespace CicdOps.Cmdlets.Commands;

/// <summary>Get-CicdSecret: the names and update times of a project's secrets (wildcards allowed). Values cannot be read back.</summary>
[Cmdlet(VerbsCommon.Get, "CicdSecret")]
[OutputType(typeof(SecretInfo))]
public sealed class GetCicdSecretCommand : CicdCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ProjectNameCompleter))]
    public string Project { get; set; } = null!;

    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(SecretNameCompleter))]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        TryInvoke(() =>
        {
            var secrets = Engine.GetSecrets(Project);
            if (Name is null)
            {
                WriteObject(secrets, enumerateCollection: true);
                return;
            }
            foreach (var name in Name)
            {
                if (WildcardPattern.ContainsWildcardCharacters(name))
                {
                    // A pattern that matches nothing is not an error, as with Get-ChildItem.
                    var pattern = WildcardPattern.Get(name, WildcardOptions.IgnoreCase);
                    WriteObject(secrets.Where(s => pattern.IsMatch(s.Name)), enumerateCollection: true);
                    continue;
                }
                var match = secrets.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.Ordinal));
                if (match is not null) WriteObject(match);
                else WriteCicdError(new CicdException(CicdError.SecretNotFound,
                    $"Project '{Project}' has no secret named '{name}'.", name));
            }
        });
    }
}
