namespace CicdOps.Engine.Listener;

/// <summary>
/// One log line per finished deployment (Succeeded, RolledBack with its reason, Failed, ...), whoever queued it, so
/// the service's journal tells what each push became, not only that it was received. Polled by the service loop.
/// </summary>
internal sealed class DeploymentOutcomeLog(CicdEngine engine, Action<string> log, DateTimeOffset since)
{
    private readonly HashSet<long> _reported = new();

    public void Report()
    {
        var recent = engine.GetDeployments(null, 100);
        foreach (var d in recent.OrderBy(d => d.Id))
        {
            if (!d.IsFinished || d.FinishedAt is not { } at || at < since || !_reported.Add(d.Id)) continue;
            if (d.Status is DeploymentStatus.Superseded or DeploymentStatus.Skipped) continue; // never ran: the delivery line says it
            log($"deployment id={d.Id} project={ListenerLog.Clean(d.Project)} commit={ListenerLog.Clean(d.Commit ?? d.RequestedCommit)} " +
                $"trigger={d.Trigger.ToString().ToLowerInvariant()} outcome={d.Status}" +
                (d.RolledBackTo is { } to ? $" rolled-back-to={ListenerLog.Clean(to)}" : "") +
                (d.Status != DeploymentStatus.Succeeded ? $" reason={ListenerLog.Clean(d.Reason)}" : ""));
        }
        // Only ids still in the window can come again.
        if (recent.Count > 0) _reported.RemoveWhere(id => id < recent.Min(d => d.Id));
    }
}
