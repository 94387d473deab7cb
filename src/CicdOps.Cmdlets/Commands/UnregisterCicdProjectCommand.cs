using System.Management.Automation;
using CicdOps.Cmdlets.Completion;
using CicdOps.Cmdlets.Infrastructure;
using CicdOps.Engine.Model;

namespace CicdOps.Cmdlets.Commands;

/// <summary>Unregister-CicdProject: stops a project's app and removes it and its history; the working tree stays.</summary>
[Cmdlet(VerbsLifecycle.Unregister, "CicdProject", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High,
    DefaultParameterSetName = ParameterSets.ByInputObject)]
[OutputType(typeof(Project))]
public sealed class UnregisterCicdProjectCommand : CicdCmdlet
{
    private bool _yesToAll;
    private bool _noToAll;

    [Parameter(ParameterSetName = ParameterSets.ByName, Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ProjectNameCompleter))]
    public string[] Name { get; set; } = null!;

    [Parameter(ParameterSetName = ParameterSets.ByInputObject, Mandatory = true, ValueFromPipeline = true)]
    /// <summary>Projects from Get-CicdProject (the default set, so a piped Project binds by value).</summary>
    public Project[] InputObject { get; set; } = null!;

    /// <summary>Skips the extra "its history is deleted" prompt (use -Confirm:$false to skip the ShouldProcess one).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Also deletes the project's dedicated service user (cicd_&lt;name&gt;-&lt;hex&gt;), when CicdOps created one.</summary>
    [Parameter]
    public SwitchParameter RemoveServiceUser { get; set; }

    /// <summary>Writes the removed project (its last state) to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var names = ParameterSetName == ParameterSets.ByInputObject ? InputObject.Select(p => p.Name) : Name;
        foreach (var name in names)
        {
            if (!ShouldProcess(name, RemoveServiceUser
                    ? "Stop the app and unregister the project, deleting its deployment history and its service user"
                    : "Stop the app and unregister the project, deleting its deployment history")) continue;
            if (!Force && !ShouldContinue($"Project '{name}' and its deployment history will be deleted. Continue?",
                    "Unregister project", ref _yesToAll, ref _noToAll)) continue;
            TryInvoke(() =>
            {
                var removed = Engine.UnregisterProject(name, removeServiceUser: RemoveServiceUser);
                if (PassThru) WriteObject(removed);
            });
        }
    }
}
