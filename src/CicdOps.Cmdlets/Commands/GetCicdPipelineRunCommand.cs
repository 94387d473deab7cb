using System.Management.Automation;
using CicdOps.Cmdlets.Completion;
using CicdOps.Cmdlets.Infrastructure;

namespace CicdOps.Cmdlets.Commands;

/// <summary>Get-CicdPipelineRun: a project's pipeline runs with their steps, newest first (running ones too), or one run by -RunId.</summary>
[Cmdlet(VerbsCommon.Get, "CicdPipelineRun", DefaultParameterSetName = ParameterSets.ByName)]
[OutputType(typeof(PipelineRun))]
public sealed class GetCicdPipelineRunCommand : CicdCmdlet
{
    [Parameter(ParameterSetName = ParameterSets.ByName, Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ProjectNameCompleter))]
    public string Name { get; set; } = null!;

    [Parameter(ParameterSetName = ParameterSets.ById, Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(PipelineRunIdCompleter))]
    public string RunId { get; set; } = null!;

    /// <summary>How many runs, newest first.</summary>
    [Parameter(ParameterSetName = ParameterSets.ByName)]
    [ValidateRange(1, 10000)]
    public int Last { get; set; } = 20;

    protected override void ProcessRecord()
    {
        if (ParameterSetName == ParameterSets.ById) TryInvoke(() => WriteObject(Engine.GetPipelineRun(RunId)));
        else TryInvoke(() => WriteObject(Engine.GetPipelineRuns(Name, Last), enumerateCollection: true));
    }
}
