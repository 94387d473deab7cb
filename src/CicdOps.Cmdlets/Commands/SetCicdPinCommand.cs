using System.Management.Automation;
using CicdOps.Cmdlets.Completion;
using CicdOps.Cmdlets.Infrastructure;
using CicdOps.Engine.Model;

namespace CicdOps.Cmdlets.Commands;

/// <summary>
/// Set-CicdPin: pins a project to a commit (default: the one running), so pushes stop deploying;
/// deploys the commit when it is not current. -Clear removes the pin.
/// </summary>
[Cmdlet(VerbsCommon.Set, "CicdPin", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = PinSet)]
[OutputType(typeof(PinResult), ParameterSetName = new[] { PinSet })]
[OutputType(typeof(Project), ParameterSetName = new[] { ParameterSets.Clear })]
public sealed class SetCicdPinCommand : CicdCmdlet
{
    private const string PinSet = "Pin";

    /// <summary>Project names; from the pipeline, a Project's Name or a Deployment's Project.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Project")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ProjectNameCompleter))]
    public string[] Name { get; set; } = null!;

    /// <summary>The commit to pin (from the pipeline, a Deployment's Commit); the current commit when omitted.</summary>
    [Parameter(ParameterSetName = PinSet, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(CommitCompleter))]
    public string? Commit { get; set; }

    [Parameter(ParameterSetName = ParameterSets.Clear, Mandatory = true)]
    public SwitchParameter Clear { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var name in Name)
        {
            if (Clear)
            {
                if (!ShouldProcess(name, "Remove the pin")) continue;
                TryInvoke(() =>
                {
                    var project = Engine.Unpin(name);
                    if (PassThru) WriteObject(project);
                });
                continue;
            }
            if (!ShouldProcess(name, $"Pin to {Commit ?? "the current commit"}")) continue;
            TryInvoke(() =>
            {
                var result = Engine.Pin(name, Commit);
                if (result.Deployment is { } d) WriteVerbose($"Deployment {d.Id} queued to reach the pinned commit.");
                if (PassThru) WriteObject(result);
            });
        }
    }
}
