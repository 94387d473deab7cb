using System.Runtime.CompilerServices;
using System.Threading.Channels;
using CicdOps.Engine.Fleet;
using CicdOps.Fleet.Sync;

namespace CicdOps.Fleet.Watch;

/// <summary>
/// The fleet as a watcher sees it (<see cref="IFleetFeed"/>): with a registry (this node joined a fleet), the
/// registry's snapshot and change feed (PostgreSQL LISTEN/NOTIFY, MongoDB change streams); without, this server's
/// own state, published every <see cref="LocalInterval"/> by the same sync loop into a <see cref="MemoryFleetRegistry"/>.
/// A registry outage does not end a watch: it reconnects every second and, once back, re-sends the snapshot so
/// nothing that changed meanwhile is missed.
/// </summary>
public sealed class FleetWatcher : IFleetFeed
{
    /// <summary>How often the local state is read when no registry is joined.</summary>
    public static readonly TimeSpan LocalInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan ReconnectDelay = TimeSpan.FromSeconds(1);

    private readonly IFleetRegistry _registry;
    private readonly FleetSync? _localSync;
    private readonly SemaphoreSlim _pass = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Action<string> _log;
    private Task? _localLoop;

    private FleetWatcher(IFleetRegistry registry, FleetSync? localSync, string source, Action<string> log)
    {
        _registry = registry; _localSync = localSync; Source = source; _log = log;
    }

    public string Source { get; }

    /// <summary>The fleet this node joined, or this server alone when it joined none.</summary>
    public static FleetWatcher Open(CicdEngine engine, Action<string>? log = null)
    {
        log ??= _ => { };
        if (engine.GetFleetMembership() is { } m) return new FleetWatcher(FleetConnection.OpenJoined(engine), null, m.Registry, log);
        var memory = new MemoryFleetRegistry();
        return new FleetWatcher(memory, new FleetSync(engine, memory, engine.GetNodeIdentity(), LocalInterval, log), "this server", log);
    }

    public async Task<IReadOnlyList<FleetUpdate>> SnapshotAsync(CancellationToken ct)
    {
        await EnsureLocalAsync(ct);
        return new FleetUpdateView().Load(await _registry.GetSnapshotAsync(0, ct));
    }

    public async IAsyncEnumerable<FleetUpdate> WatchAsync([EnumeratorCancellation] CancellationToken ct)
    {
        await EnsureLocalAsync(ct);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _stop.Token);
        var rows = Channel.CreateBounded<FleetUpdate>(new BoundedChannelOptions(1000) { SingleReader = true, SingleWriter = true });
        var pump = Task.Run(() => PumpAsync(rows.Writer, linked.Token), CancellationToken.None);
        try
        {
            await foreach (var row in rows.Reader.ReadAllAsync(ct)) yield return row;
        }
        finally
        {
            linked.Cancel();
            try { await pump; } catch (OperationCanceledException) { }
        }
    }

    /// <summary>Reads the registry's feed into <paramref name="rows"/>, reconnecting after an outage; ends when cancelled.</summary>
    private async Task PumpAsync(ChannelWriter<FleetUpdate> rows, CancellationToken ct)
    {
        var view = new FleetUpdateView();
        var resync = false;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                // One attempt: its own token, cancelled before the feed is disposed, so a failed attempt never leaves a
                // registry connection listening behind it.
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
                var feed = _registry.WatchAsync(attempt.Token).GetAsyncEnumerator(attempt.Token);
                Task<bool>? next = null;
                try
                {
                    next = feed.MoveNextAsync().AsTask(); // listening from here on
                    var snapshot = view.Load(await _registry.GetSnapshotAsync(0, ct));
                    // After an outage, the fleet as it is now: what changed meanwhile is in it.
                    if (resync) foreach (var row in snapshot) await rows.WriteAsync(row, ct);
                    resync = true;
                    while (await next)
                    {
                        if (view.Apply(feed.Current) is { } row) await rows.WriteAsync(row, ct);
                        next = feed.MoveNextAsync().AsTask();
                    }
                    next = null;
                }
                catch (Exception e) when (!ct.IsCancellationRequested && e is not OperationCanceledException)
                {
                    _log($"fleet watch: {e.Message}; reconnecting");
                }
                finally
                {
                    attempt.Cancel();
                    if (next is not null) { try { await next; } catch (Exception) { } }
                    try { await feed.DisposeAsync(); } catch (Exception) { }
                }
                await Task.Delay(ReconnectDelay, ct);
            }
        }
        catch (OperationCanceledException) { }
        finally { rows.TryComplete(); }
    }

    /// <summary>Without a registry: one pass now (so the first snapshot is complete), then a pass every interval.</summary>
    private async Task EnsureLocalAsync(CancellationToken ct)
    {
        if (_localSync is null) return;
        await _pass.WaitAsync(ct);
        try
        {
            if (_localLoop is not null) return;
            await _localSync.TrySyncOnceAsync(ct);
            _localLoop = Task.Run(async () =>
            {
                try
                {
                    while (true)
                    {
                        await Task.Delay(LocalInterval, _stop.Token);
                        await _localSync.TrySyncOnceAsync(_stop.Token);
                    }
                }
                catch (OperationCanceledException) { }
            }, CancellationToken.None);
        }
        finally { _pass.Release(); }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_localLoop is { } loop) await loop;
        await _registry.DisposeAsync();
        _stop.Dispose();
        _pass.Dispose();
    }
}
