using System.Management.Automation;
using CicdOps.Cmdlets.Completion;
using CicdOps.Cmdlets.Infrastructure;
using CicdOps.Engine;
using CicdOps.Engine.Model;

namespace CicdOps.Cmdlets.Commands;

/// <summary>Get-CicdProject: lists registered projects, all or by name (wildcards allowed).</summary>
[Cmdlet(VerbsCommon.Get, "CicdProject", DefaultParameterSetName = ParameterSets.ByName)]
[OutputType(typeof(Project))]
public sealed class GetCicdProjectCommand : CicdCmdlet
{
    [Parameter(ParameterSetName = ParameterSets.ByName, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ProjectNameCompleter))]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        if (Name is null)
        {
            TryInvoke(() => WriteObject(Engine.GetProjects(), enumerateCollection: true));
            return;
        }
        foreach (var name in Name)
        {
            if (WildcardPattern.ContainsWildcardCharacters(name))
            {
                // A pattern that matches nothing is not an error, as with Get-ChildItem.
                var pattern = WildcardPattern.Get(name, WildcardOptions.IgnoreCase);
                TryInvoke(() => WriteObject(Engine.GetProjects().Where(p => pattern.IsMatch(p.Name)), enumerateCollection: true));
            }
            else
            {
                TryInvoke(() => WriteObject(Engine.GetProject(name)));
            }
        }
    }
}
