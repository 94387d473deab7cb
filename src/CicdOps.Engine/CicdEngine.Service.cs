using CicdOps.Engine.Listener;

namespace CicdOps.Engine;

public sealed partial class CicdEngine
{
    /// <summary>How long a stopping service lets running deployments finish before it exits anyway.</summary>
    public static readonly TimeSpan DefaultShutdownGrace = TimeSpan.FromSeconds(90);

    /// <summary>
    /// The listener as a service (`cicdops listen`, Start-CicdListener): refuses bad or unsafe options in one
    /// line, recovers what a previous run left (interrupted deployments are redeployed, waiting ones run),
    /// serves until <paramref name="stop"/> is cancelled, then stops accepting and lets running deployments
    /// finish within <paramref name="shutdownGrace"/>. Every event is one line through <paramref name="log"/>.
    /// </summary>
    public async Task RunListenerAsync(ListenerOptions options, Action<string> log, CancellationToken stop, TimeSpan? shutdownGrace = null)
    {
        options = options with { Log = options.Log ?? log };
        // A long-lived process reads every page once at start: mid-file damage is reported now, not mid-deploy.
        CheckState();
        await using var listener = CreateWebhookListener(options);
        listener.Start();
        log($"listening on {listener.Prefix} (data directory {DataPath})");
        if (!IsSandboxed && NotSandboxedReason is { } why) log("warning: " + why);
        foreach (var d in RecoverForService())
            log($"recovery: project {d.Project} redeploys {d.Commit ?? d.RequestedCommit ?? "its branch tip"} (deployment {d.Id}) after an interrupted deployment");

        await SweepUntilStoppedAsync(log, stop);

        log("stopping: no new requests; waiting for running deployments");
        await listener.StopAsync();
        var grace = shutdownGrace ?? DefaultShutdownGrace;
        log(await ShutdownRunnersAsync(grace)
            ? "stopped"
            : $"stopped with deployments still running after {grace.TotalSeconds:0} s; they will be redeployed at the next start");
    }

    /// <summary>
    /// While serving: a sudo grant whose engine process was killed mid-install (SIGKILL runs no cleanup) is
    /// root for that project until someone removes it, so the listener sweeps every few seconds rather than
    /// leaving it to the next command.
    /// </summary>
    private async Task SweepUntilStoppedAsync(Action<string> log, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(_ctx.Options.SudoSweepInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                try
                {
                    if (_ctx.Sandbox.RemoveStaleSudoGrants() is var n and > 0)
                        log($"sudo: removed {n} grant(s) left by a process that died during install");
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    log("sudo: sweeping stale grants failed: " + e.Message);
                }
            }
        }
        catch (OperationCanceledException) { }
    }
}
