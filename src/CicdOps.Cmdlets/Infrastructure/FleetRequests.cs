using CicdOps.Engine;
using CicdOps.Fleet.Rollouts;

namespace CicdOps.Cmdlets.Infrastructure;

/// <summary>A fleet action request from cmdlet parameters; who asks is this user at this node.</summary>
internal static class FleetRequests
{
    public static FleetRolloutRequest Make(CicdEngine engine, string project, FleetAction action, string? commit, bool waves, int waveSize,
        bool rollbackOnFailure, double waveTimeoutSeconds)
    {
        if (!double.IsFinite(waveTimeoutSeconds) || waveTimeoutSeconds is < 1 or > 86400)
            throw new CicdException(CicdError.InvalidArgument, "-WaveTimeoutSeconds must be between 1 and 86400.", waveTimeoutSeconds);
        return new FleetRolloutRequest
        {
            Project = project, Action = action, Commit = commit, Waves = waves, WaveSize = waveSize, RollbackOnFailure = rollbackOnFailure,
            WaveTimeout = TimeSpan.FromSeconds(waveTimeoutSeconds), RequestedBy = FleetRolloutActions.Requester(engine),
        };
    }
}
