using CicdOps.Engine;
using System.Management.Automation;
using CicdOps.Fleet.Rollouts;

namespace CicdOps.Cmdlets.Infrastructure;

/// <summary>
/// Runs a fleet action for the Fleet cmdlets (the same driver as `cicdops fleet deploy|pin|unpin|rollback`) and writes
/// the finished FleetRollout. A rollout that did not succeed is also a non-terminating error (CicdFleetRolloutFailed,
/// the rollout as its target object), so `-ErrorAction Stop` and `$?` work in automation. Internal: it names engine types.
/// </summary>
internal static class FleetRolloutInvoker
{
    public static void Invoke(Cmdlet cmdlet, CicdEngine engine, FleetRolloutRequest request, CancellationToken ct, bool write = true)
    {
        FleetRolloutDriver.Validate(request, PowerShellParameter);
        FleetRollout rollout;
        try { rollout = FleetRolloutActions.RunAsync(engine, request, null, ct).GetAwaiter().GetResult(); }
        // Ctrl+C: the rollout is recorded as Cancelled; what nodes already took goes on.
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
        foreach (var t in rollout.Targets)
            cmdlet.WriteVerbose($"{(t.Kind == FleetTargetKind.Revert ? "revert" : $"wave {t.Wave}")} {t.Node}: {t.Status}" + (t.Reason is { } r ? $" — {r}" : ""));
        if (write) cmdlet.WriteObject(rollout);
        if (rollout.Status != FleetRolloutStatus.Succeeded)
            cmdlet.WriteError(new ErrorRecord(new InvalidOperationException($"Fleet rollout {rollout.Id} {rollout.Status}: {rollout.Reason}"),
                "CicdFleetRolloutFailed", ErrorCategory.InvalidResult, rollout)
            {
                ErrorDetails = new ErrorDetails($"Fleet rollout {rollout.Id} {rollout.Status}: {rollout.Reason}")
                {
                    RecommendedAction = $"Get-CicdFleetRollout -Id {rollout.Id} | Select-Object -ExpandProperty Targets shows each node's outcome.",
                },
            });
    }

    private static string PowerShellParameter(string option) => option switch
    {
        "WaveTimeout" => "-WaveTimeoutSeconds",
        _ => "-" + option,
    };
}
