using System.Management.Automation;
using CicdOps.Engine.Model;

namespace CicdOps.Cmdlets.Infrastructure;

/// <summary>
/// One progress activity per deployment (one activity id), updated for each stage report and completed at the end.
/// Each update is written as a snapshot of its own: the host shows them as one bar, while anything that collects
/// the records ($ps.Streams.Progress, -ProgressAction with a script) keeps each state instead of N references to
/// the last one.
/// </summary>
internal sealed class DeploymentProgressView
{
    private static readonly int StageCount = Enum.GetValues<DeploymentStage>().Length;
    private readonly ProgressRecord _record;

    public DeploymentProgressView(long deploymentId, string project)
    {
        // Activity ids only need to be distinct among this cmdlet's concurrent records.
        _record = new ProgressRecord((int)(deploymentId & 0x7FFFFFFF), $"Deploying {project}", "Queued");
    }

    public ProgressRecord Update(DeploymentProgress progress)
    {
        _record.StatusDescription = Describe(progress);
        if (progress.Stage is { } s) _record.PercentComplete = (int)s * 100 / StageCount;
        _record.CurrentOperation = progress.Status.ToString();
        return Snapshot();
    }

    private ProgressRecord Snapshot() => new(_record.ActivityId, _record.Activity, _record.StatusDescription)
    {
        PercentComplete = _record.PercentComplete,
        CurrentOperation = _record.CurrentOperation,
        RecordType = _record.RecordType,
    };

    /// <summary>
    /// The engine's message already names the stage ("Install", "Health (rollback)") or the status with its reason
    /// ("RolledBack: health check failed"): prefix only what it does not say, so nothing reads "Install: Install".
    /// </summary>
    internal static string Describe(DeploymentProgress progress)
    {
        var prefix = progress.Stage is { } stage && progress.Status == DeploymentStatus.Running ? stage.ToString() : progress.Status.ToString();
        return progress.Message.StartsWith(prefix, StringComparison.Ordinal) ? progress.Message : $"{prefix}: {progress.Message}";
    }

    public ProgressRecord Complete(Deployment final)
    {
        _record.StatusDescription = final.Status.ToString();
        _record.PercentComplete = 100;
        _record.RecordType = ProgressRecordType.Completed;
        return Snapshot();
    }
}
