using System.Runtime.CompilerServices;
using CicdOps.Engine;
using CicdOps.Fleet;
using CicdOps.Fleet.Sync;

namespace CicdOps.Cli;

/// <summary>
/// The fleet sync loop inside the listener service, when this node has joined a fleet. A listener that has not
/// joined never loads CicdOps.Fleet or its drivers: <see cref="StartIfJoined"/> checks membership first and only
/// then calls a method (never inlined) that names fleet types.
/// </summary>
internal static class FleetService
{
    /// <summary>
    /// Starts the loop when this node has joined a fleet. Fleet settings that cannot be used (damaged, or sealed with
    /// another master key) are logged and the listener runs without the fleet: webhooks and deploys come first.
    /// </summary>
    public static IAsyncDisposable? StartIfJoined(CicdEngine engine, Action<string> log, CancellationToken stop)
    {
        try { return engine.GetFleetMembership() is { } m ? Start(engine, log, stop, m.Registry) : null; }
        catch (CicdException e)
        {
            log($"fleet: not publishing this node: {e.Message}");
            return null;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static IAsyncDisposable Start(CicdEngine engine, Action<string> log, CancellationToken stop, string maskedRegistry)
    {
        var registry = FleetConnection.OpenJoined(engine);
        var sync = FleetConnection.CreateSync(engine, registry, log);
        var cts = CancellationTokenSource.CreateLinkedTokenSource(stop);
        log($"fleet: publishing {engine.GetNodeIdentity().Name} to {maskedRegistry}");
        var loop = Task.Run(() => sync.RunAsync(cts.Token), CancellationToken.None);
        // Fleet actions (deploy, pin, unpin, rollback asked through the registry) for this node's projects.
        var requests = registry is IFleetRolloutStore store
            ? Task.Run(() => new CicdOps.Fleet.Rollouts.FleetRequestRunner(engine, store, engine.GetNodeIdentity(), engine.GetFleetMembership()!.SyncInterval, log)
                .RunAsync(cts.Token), CancellationToken.None)
            : Task.CompletedTask;
        return new Running(registry, cts, Task.WhenAll(loop, requests));
    }

    /// <summary>
    /// What the listener's /api endpoints watch: the joined registry, or this server alone. Called at the first /api
    /// request, so an unjoined listener nobody asks never loads CicdOps.Fleet.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static CicdOps.Engine.Fleet.IFleetFeed OpenFeed(CicdEngine engine, Action<string> log) =>
        CicdOps.Fleet.Watch.FleetWatcher.Open(engine, log);

    private sealed class Running(IFleetRegistry registry, CancellationTokenSource cts, Task loop) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            cts.Cancel();
            try { await loop; } catch (OperationCanceledException) { }
            await registry.DisposeAsync();
            cts.Dispose();
        }
    }
}
