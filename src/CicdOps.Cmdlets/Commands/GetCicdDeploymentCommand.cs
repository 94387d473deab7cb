using System.Management.Automation;
using CicdOps.Cmdlets.Completion;
using CicdOps.Cmdlets.Infrastructure;
using CicdOps.Engine.Model;

namespace CicdOps.Cmdlets.Commands;

/// <summary>Get-CicdDeployment: deployment history, newest first, of all projects or the named ones; or deployments by id.</summary>
[Cmdlet(VerbsCommon.Get, "CicdDeployment", DefaultParameterSetName = ParameterSets.ByName)]
[OutputType(typeof(Deployment))]
public sealed class GetCicdDeploymentCommand : CicdCmdlet
{
    [Parameter(ParameterSetName = ParameterSets.ByName, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ProjectNameCompleter))]
    public string[]? Name { get; set; }

    [Parameter(ParameterSetName = ParameterSets.ById, Mandatory = true, ValueFromPipelineByPropertyName = true)]
    public long[] Id { get; set; } = null!;

    /// <summary>How many deployments per project (or in all) to return, newest first.</summary>
    [Parameter(ParameterSetName = ParameterSets.ByName)]
    [ValidateRange(1, 100000)]
    public int Last { get; set; } = 50;

    protected override void ProcessRecord()
    {
        if (ParameterSetName == ParameterSets.ById)
        {
            foreach (var id in Id) TryInvoke(() => WriteObject(Engine.GetDeployment(id)));
            return;
        }
        if (Name is null)
        {
            TryInvoke(() => WriteObject(Engine.GetDeployments(null, Last), enumerateCollection: true));
            return;
        }
        foreach (var name in Name)
            TryInvoke(() => WriteObject(Engine.GetDeployments(name, Last), enumerateCollection: true));
    }
}
