using System.Threading.Channels;
using CicdOps.Engine.Fleet;

namespace CicdOps.Server.Api;

/// <summary>
/// One reader of the fleet feed, many stream clients. Each update gets an id (growing; started from the clock so ids
/// from an earlier run of the listener are older), is kept in a bounded replay buffer for Last-Event-ID, and is
/// offered to every client's bounded queue. A client whose queue is full is closed, not waited for: the hub never
/// blocks on, or buffers without bound for, a slow reader. The feed is opened at the first request, so a listener
/// nobody asks never loads the fleet code.
/// </summary>
public sealed class FleetEventHub : IAsyncDisposable
{
    private readonly Func<IFleetFeed> _open;
    private readonly ApiOptions _options;
    private readonly Action<string> _log;
    private readonly object _gate = new();
    private readonly Queue<StreamedUpdate> _replay = new();
    private readonly HashSet<Subscription> _clients = new();
    private readonly CancellationTokenSource _stop = new();
    private IFleetFeed? _feed;
    private Task? _pump;
    private long _lastId = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;

    public FleetEventHub(Func<IFleetFeed> open, ApiOptions options, Action<string> log)
    {
        _open = open; _options = options; _log = log;
    }

    public int Clients { get { lock (_gate) return _clients.Count; } }

    /// <summary>The fleet now (one row per node and project).</summary>
    public Task<IReadOnlyList<FleetUpdate>> SnapshotAsync(CancellationToken ct) => Feed().SnapshotAsync(ct);

    /// <summary>
    /// Registers a client. With <paramref name="lastEventId"/> still in the replay buffer, what it missed comes first;
    /// an id the buffer no longer holds (or none the hub knows) gets the current fleet instead, so a client that
    /// resumes never silently misses a change.
    /// </summary>
    public async Task<Subscription?> SubscribeAsync(long? lastEventId, CancellationToken ct)
    {
        var feed = Feed();
        EnsurePump(feed);
        Subscription s;
        bool needsSnapshot;
        long at;
        lock (_gate)
        {
            if (_clients.Count >= _options.MaxStreams) return null;
            // Registered before the snapshot is read: an update arriving meanwhile is queued, not lost (rows are states,
            // so one seen twice is harmless).
            s = new Subscription(this, _options.ClientQueue);
            needsSnapshot = lastEventId is { } known && !CanReplayAfter(known);
            if (!needsSnapshot && lastEventId is { } after) s.Initial.AddRange(_replay.Where(u => u.Id > after));
            at = _lastId;
            _clients.Add(s);
        }
        if (needsSnapshot)
        {
            try { s.Initial.AddRange((await feed.SnapshotAsync(ct)).Select(row => new StreamedUpdate(at, row))); }
            catch { s.Dispose(); throw; }
        }
        return s;
    }

    private bool CanReplayAfter(long id) =>
        id == _lastId || (id < _lastId && _replay.Count > 0 && id >= _replay.Peek().Id - 1);

    private IFleetFeed Feed()
    {
        lock (_gate) return _feed ??= _open();
    }

    private void EnsurePump(IFleetFeed feed)
    {
        lock (_gate) _pump ??= Task.Run(() => PumpAsync(feed), CancellationToken.None);
    }

    private async Task PumpAsync(IFleetFeed feed)
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await foreach (var row in feed.WatchAsync(_stop.Token)) Publish(row);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested) { return; }
            catch (Exception e) { _log($"api: fleet feed failed ({e.Message}); retrying"); }
            try { await Task.Delay(1000, _stop.Token); } catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>Numbers the update, keeps it for resume and offers it to every client (never waits).</summary>
    internal void Publish(FleetUpdate row)
    {
        List<Subscription>? slow = null;
        lock (_gate)
        {
            var u = new StreamedUpdate(++_lastId, row);
            _replay.Enqueue(u);
            while (_replay.Count > _options.ReplayEvents) _replay.Dequeue();
            foreach (var c in _clients)
                if (!c.Queue.Writer.TryWrite(u)) (slow ??= new()).Add(c);
        }
        if (slow is null) return;
        foreach (var c in slow)
        {
            c.Overflowed = true;
            c.Queue.Writer.TryComplete();
            Remove(c);
        }
    }

    internal void Remove(Subscription s)
    {
        lock (_gate) _clients.Remove(s);
    }

    /// <summary>Ends every stream (the listener is stopping).</summary>
    public void Stop()
    {
        _stop.Cancel();
        lock (_gate) foreach (var c in _clients) c.Queue.Writer.TryComplete();
    }

    public async ValueTask DisposeAsync()
    {
        Stop();
        if (_pump is { } p) { try { await p; } catch (OperationCanceledException) { } }
        if (_feed is { } f) await f.DisposeAsync();
        _stop.Dispose();
    }

    public sealed class Subscription : IDisposable
    {
        private readonly FleetEventHub _hub;

        internal Subscription(FleetEventHub hub, int capacity)
        {
            _hub = hub;
            Queue = Channel.CreateBounded<StreamedUpdate>(new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        }

        /// <summary>Missed updates (resume) or the current fleet, sent before anything live.</summary>
        public List<StreamedUpdate> Initial { get; } = new();
        public Channel<StreamedUpdate> Queue { get; }
        /// <summary>Closed because it fell <see cref="ApiOptions.ClientQueue"/> updates behind.</summary>
        public bool Overflowed { get; internal set; }

        public void Dispose() => _hub.Remove(this);
    }
}

public sealed record StreamedUpdate(long Id, FleetUpdate Update);
