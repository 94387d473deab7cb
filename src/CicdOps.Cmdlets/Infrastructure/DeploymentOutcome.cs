using System.Management.Automation;
using CicdOps.Engine.Model;

namespace CicdOps.Cmdlets.Infrastructure;

/// <summary>How a finished deployment that did not succeed is reported, so scripts can detect it via $? and -ErrorVariable.</summary>
internal static class DeploymentOutcome
{
    public const string FailedErrorId = "CicdDeploymentFailed";
    public const string RolledBackErrorId = "CicdDeploymentRolledBack";

    public static ErrorRecord? ErrorFor(Deployment d)
    {
        if (!d.IsFinished || d.Status.IsSuccess()) return null;
        var reason = string.IsNullOrEmpty(d.Reason) ? "" : $": {d.Reason}";
        return d.Status == DeploymentStatus.RolledBack
            ? CicdErrorRecords.Create(RolledBackErrorId, ErrorCategory.InvalidResult,
                $"Deployment {d.Id} of '{d.Project}' was unhealthy and rolled back to {d.RolledBackTo ?? "the last good commit"}{reason}.",
                d, $"Read the log with Get-CicdDeploymentLog -Id {d.Id}.")
            : CicdErrorRecords.Create(FailedErrorId, ErrorCategory.InvalidResult,
                $"Deployment {d.Id} of '{d.Project}' ended {d.Status}{reason}.",
                d, $"Read the log with Get-CicdDeploymentLog -Id {d.Id}.");
    }
}
