using System.Management.Automation;
using CicdOps.Cmdlets.Completion;
using CicdOps.Cmdlets.Infrastructure;

namespace CicdOps.Cmdlets.Commands;

/// <summary>Get-CicdRelease: the kept release directories of projects with releases, newest first.</summary>
[Cmdlet(VerbsCommon.Get, "CicdRelease")]
[OutputType(typeof(Release))]
public sealed class GetCicdReleaseCommand : CicdCmdlet
{
    /// <summary>Project names; binds the Name of piped projects and the Project of piped deployments.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Project")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ProjectNameCompleter))]
    public string[] Name { get; set; } = null!;

    /// <summary>Only the release `current` names.</summary>
    [Parameter]
    public SwitchParameter Current { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var name in Name)
            TryInvoke(() => WriteObject(Engine.GetReleases(name).Where(r => !Current || r.IsCurrent), enumerateCollection: true));
    }
}
