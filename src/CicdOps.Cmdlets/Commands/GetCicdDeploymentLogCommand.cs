using System.Management.Automation;
using CicdOps.Cmdlets.Completion;
using CicdOps.Cmdlets.Infrastructure;
using CicdOps.Engine;
using CicdOps.Engine.Model;

namespace CicdOps.Cmdlets.Commands;

/// <summary>
/// Get-CicdDeploymentLog: the log of a project's latest deployment (or of -Id), one string per line.
/// -Follow keeps reading until the deployment finishes; Ctrl+C stops following.
/// </summary>
[Cmdlet(VerbsCommon.Get, "CicdDeploymentLog", DefaultParameterSetName = ParameterSets.ByName)]
[OutputType(typeof(string))]
public sealed class GetCicdDeploymentLogCommand : CicdCmdlet
{
    private static readonly TimeSpan FollowInterval = TimeSpan.FromMilliseconds(500);

    [Parameter(ParameterSetName = ParameterSets.ByName, Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ProjectNameCompleter))]
    public string Name { get; set; } = null!;

    /// <summary>A deployment's id; from the pipeline, a Deployment's Id (that deployment's log, not its project's latest).</summary>
    [Parameter(ParameterSetName = ParameterSets.ById, Mandatory = true, ValueFromPipelineByPropertyName = true)]
    public long Id { get; set; }

    [Parameter]
    public SwitchParameter Follow { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            var deployment = ParameterSetName == ParameterSets.ById ? Engine.GetDeployment(Id) : Engine.GetLatestDeployment(Name);
            Read(deployment);
        }
        catch (CicdException ex)
        {
            WriteCicdError(ex);
        }
    }

    private void Read(Deployment deployment)
    {
        var lines = new LogLineSplitter();
        long offset = 0;
        while (true)
        {
            // Read the finished flag before the text, so nothing written just before finishing is missed.
            var finished = !Follow || Engine.GetDeployment(deployment.Id).IsFinished;
            var (text, next) = Engine.ReadDeploymentLog(deployment.Id, offset);
            offset = next;
            foreach (var line in lines.Push(text)) WriteObject(line);
            if (finished && text.Length == 0) break;
            if (!Follow) break;
            if (text.Length == 0 && CancellationToken.WaitHandle.WaitOne(FollowInterval)) break; // Ctrl+C
        }
        if (lines.Flush() is { } rest) WriteObject(rest);
    }
}
