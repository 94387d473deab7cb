using System.Management.Automation;
using CicdOps.Cmdlets.Completion;
using CicdOps.Cmdlets.Infrastructure;
using CicdOps.Engine.Model;

namespace CicdOps.Cmdlets.Commands;

/// <summary>
/// Stop-CicdDeployment: cancels a project's waiting deployment, or stops its running one and its processes; given
/// Deployment objects (piped), stops those deployments. InputObject is the default set so that a piped Deployment
/// binds by value (PowerShell binds pipeline input only within the default set when every set has a mandatory
/// pipeline parameter); names still bind positionally and Project objects by their Name property.
/// </summary>
[Cmdlet(VerbsLifecycle.Stop, "CicdDeployment", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = ParameterSets.ByInputObject)]
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
        if (ParameterSetName == ParameterSets.ByInputObject)
        {
            foreach (var deployment in InputObject)
            {
                if (!ShouldProcess($"{deployment.Project} (deployment {deployment.Id})", "Stop the deployment")) continue;
                TryInvoke(() => WriteObject(Engine.CancelDeployment(deployment.Id)));
            }
            return;
        }
        foreach (var name in Name)
        {
            if (!ShouldProcess(name, "Stop the active deployment")) continue;
            TryInvoke(() => WriteObject(Engine.CancelDeployment(name)));
        }
    }
}
