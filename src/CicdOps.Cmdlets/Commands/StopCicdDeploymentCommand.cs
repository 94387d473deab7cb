using System.Management.Automation;
using CicdOps.Cmdlets.Completion;
using CicdOps.Cmdlets.Infrastructure;
using CicdOps.Engine.Model;

namespace CicdOps.Cmdlets.Commands;

/// <summary>Stop-CicdDeployment: cancels a project's waiting deployment, or stops its running one and its processes.</summary>
[Cmdlet(VerbsLifecycle.Stop, "CicdDeployment", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = ParameterSets.ByName)]
[OutputType(typeof(Deployment))]
public sealed class StopCicdDeploymentCommand : CicdCmdlet
{
    [Parameter(ParameterSetName = ParameterSets.ByName, Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ProjectNameCompleter))]
    public string[] Name { get; set; } = null!;

    /// <summary>A deployment (from Get-CicdDeployment or Start-CicdDeployment -NoWait); its project's active deployment is stopped.</summary>
    [Parameter(ParameterSetName = ParameterSets.ByInputObject, Mandatory = true, ValueFromPipeline = true)]
    public Deployment[] InputObject { get; set; } = null!;

    protected override void ProcessRecord()
    {
        var names = ParameterSetName == ParameterSets.ByInputObject ? InputObject.Select(d => d.Project) : Name;
        foreach (var name in names)
        {
            if (!ShouldProcess(name, "Stop the active deployment")) continue;
            TryInvoke(() => WriteObject(Engine.CancelDeployment(name)));
        }
    }
}
