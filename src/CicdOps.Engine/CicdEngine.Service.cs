using CicdOps.Engine.Listener;
using CicdOps.Engine.Notifications;

namespace CicdOps.Engine;

public sealed partial class CicdEngine
{
    /// <summary>How long a stopping service lets running deployments finish before it exits anyway.</summary>
    public static readonly TimeSpan DefaultShutdownGrace = TimeSpan.FromSeconds(90);

    /// <summary>How often the service runs its periodic tasks (<see cref="RunPeriodicTasks"/>).</summary>
    public static readonly TimeSpan PeriodicInterval = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The listener as a service (`cicdops listen`, and Start-CicdListener through it): refuses bad or unsafe options
    /// in one line, binds <paramref name="server"/> (a failed bind is the first thing said), recovers what a previous
    /// run left (interrupted deployments are redeployed, waiting ones run), serves and runs the periodic tasks until
    /// <paramref name="stop"/> is cancelled, then stops accepting and lets running deployments finish within
    /// <paramref name="shutdownGrace"/>. Every event is one line through <paramref name="log"/>.
    /// </summary>
    public async Task RunListenerAsync(ListenerOptions options, IHttpServer server, Action<string> log, CancellationToken stop, TimeSpan? shutdownGrace = null)
    {
        options = options with { Log = options.Log ?? log };
        // A long-lived process reads every page once at start: mid-file damage is reported now, not mid-deploy.
        CheckState();
        await using var listener = CreateWebhookListener(options, server);
        await listener.StartAsync();
        // Recorded so registration refuses this port for apps too (not only the default 9641).
        Listener.ListenerPortRecord.Add(DataPath, options.Port);
        log($"listening on {listener.Address} (data directory {DataPath})" +
            (options.AllowUnsigned ? "; UNSIGNED deliveries are accepted for projects without a secret (--allow-unsigned)" : "; unsigned deliveries are refused"));
        if (!IsSandboxed && NotSandboxedReason is { } why) log("warning: " + why);
        foreach (var d in RecoverForService())
            log($"recovery: project {d.Project} redeploys {d.Commit ?? d.RequestedCommit ?? "its branch tip"} (deployment {d.Id}) after an interrupted deployment");
        // Pipeline runs webhooks queued run here, beside serving; those an earlier listener queued but never ran are taken over.
        _ctx.Pipelines.Log = log;
        if (_ctx.Pipelines.TakeOverOrphans() is > 0 and var orphans) log($"pipelines: {orphans} queued run(s) of an earlier listener taken over");

        // The sampler and the watchdog live exactly as long as the service (a CLI call or pwsh session never runs them).
        using var stopMonitor = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var monitor = Task.Run(() => RunMonitorAsync(log, stopMonitor.Token));
        Periodic("notifications", log, () => _ctx.Db.Write(c => NotificationOutbox.Enqueue(c,
            new NotificationEvent(NotificationEventKind.ListenerStarted) { Reason = $"listening on {listener.Address}" })));
        // Notifications go out from here, beside serving: a slow or dead channel never holds up a request or a deployment.
        using var stopSender = new CancellationTokenSource();
        var sender = new NotificationSender(_ctx, log);
        var sending = Task.Run(() => sender.RunAsync(stopSender.Token));

        var outcomes = new DeploymentOutcomeLog(this, log, DateTimeOffset.UtcNow);
        var next = DateTime.UtcNow; // the first round runs at once
        var nextSweep = DateTime.UtcNow;
        var tick = _ctx.Options.SudoSweepInterval < TimeSpan.FromSeconds(1) ? _ctx.Options.SudoSweepInterval : TimeSpan.FromSeconds(1);
        while (!stop.IsCancellationRequested)
        {
            if (DateTime.UtcNow >= next)
            {
                RunPeriodicTasks(options, log);
                next = DateTime.UtcNow + PeriodicInterval;
            }
            if (DateTime.UtcNow >= nextSweep)
            {
                Periodic("sudo sweep", log, () => SweepStaleSudoGrants(log));
                nextSweep = DateTime.UtcNow + _ctx.Options.SudoSweepInterval;
            }
            // Each finished deployment gets its outcome line within a second.
            Periodic("deployment outcomes", log, outcomes.Report);
            try { await Task.Delay(tick, stop); }
            catch (OperationCanceledException) { }
        }

        log("stopping: no new requests; waiting for running deployments");
        // No restart is queued once stopping has begun (one already running finishes like any deployment).
        stopMonitor.Cancel();
        try { await monitor; } catch (Exception e) { log($"warning: monitor ended with: {Listener.ListenerLog.Clean(e.Message)}"); }
        await listener.StopAsync();
        Listener.ListenerPortRecord.Remove(DataPath, options.Port);
        var grace = shutdownGrace ?? DefaultShutdownGrace;
        var finished = await ShutdownRunnersAsync(grace);
        await _ctx.Pipelines.StopAsync(grace);
        Periodic("deployment outcomes", log, outcomes.Report);
        Periodic("notifications", log, () => _ctx.Db.Write(c => NotificationOutbox.Enqueue(c,
            new NotificationEvent(NotificationEventKind.ListenerStopped) { Reason = "the service was stopped" })));
        stopSender.Cancel();
        await sending;
        // One last round, briefly, so "listener stopped" and the last outcomes usually go out; what does not stays queued.
        using (var last = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            try { await sender.PassAsync(last.Token); }
            catch (Exception e) { log("warning: notifications: " + NotificationTransport.OneLine(e.Message)); }
        }
        log(finished
            ? "stopped"
            : $"stopped with deployments still running after {grace.TotalSeconds:0} s; they will be redeployed at the next start");
    }

    /// <summary>
    /// While serving: a sudo grant whose engine process was killed mid-install (SIGKILL runs no cleanup) is
    /// root for that project until someone removes it, so the listener sweeps every few seconds
    /// (<see cref="EngineOptions.SudoSweepInterval"/>) rather than leaving it to the next command.
    /// </summary>
    private void SweepStaleSudoGrants(Action<string> log)
    {
        if (_ctx.Sandbox.RemoveStaleSudoGrants() is var n and > 0)
            log($"sudo: removed {n} grant(s) left by a process that died during install");
    }

    /// <summary>
    /// What the service does every <see cref="PeriodicInterval"/> besides serving. Each task is independent and never
    /// throws: one failing must not stop the others or the listener. Add new periodic work here.
    /// </summary>
    private void RunPeriodicTasks(ListenerOptions options, Action<string> log)
    {
        Periodic("delivery retention", log, () =>
        {
            if (options.DeliveryRetention is null && options.DeliveryRetentionRows is null) return;
            var n = new Webhooks.WebhookDeliveryStore(new State.Database(DataPath)).Prune(options.DeliveryRetention, options.DeliveryRetentionRows);
            if (n > 0) log($"retention: pruned {n} webhook deliveries");
        });
        Periodic("event retention", log, () => _ctx.Db.Write(c => State.EventStore.Prune(c, State.EventStore.KeepRows)));
        Periodic("notification retention", log, () =>
            _ctx.Db.Write(c => NotificationRetention.Prune(c, DateTimeOffset.UtcNow - NotificationRetention.KeepFor)));
        Periodic("dashboard session retention", log, () => _ctx.Db.Write(c => State.DashboardStore.Prune(c, DateTimeOffset.UtcNow.AddDays(-1))));
    }

    private static void Periodic(string name, Action<string> log, Action task)
    {
        try { task(); }
        catch (Exception e) { log($"warning: periodic task '{name}' failed: {Listener.ListenerLog.Clean(e.Message)}"); }
    }
}
