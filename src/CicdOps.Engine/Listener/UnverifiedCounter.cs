using CicdOps.Engine.Webhooks;

namespace CicdOps.Engine.Listener;

/// <summary>
/// Counts requests answered before their signature held (401, 408, 413, 503) instead of storing each: 3,000
/// forged POSTs used to add 12 MB to the database. Counts are added to one row per (provider, status) at most every
/// <see cref="FlushInterval"/> and when the listener stops, so a flood costs a few writes, not one per request.
/// </summary>
internal sealed class UnverifiedCounter : IDisposable
{
    public static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(2);
    private readonly WebhookDeliveryStore _store;
    private readonly object _gate = new();
    private Dictionary<(string Provider, int Status), long> _pending = new();
    private long _total;
    private Timer? _timer;
    private bool _disposed;

    public UnverifiedCounter(WebhookDeliveryStore store) => _store = store;

    public long Total => Interlocked.Read(ref _total);

    public void Count(string provider, int status)
    {
        Interlocked.Increment(ref _total);
        lock (_gate)
        {
            if (_disposed) return;
            _pending[(provider, status)] = _pending.GetValueOrDefault((provider, status)) + 1;
            _timer ??= new Timer(_ => Flush(), null, FlushInterval, Timeout.InfiniteTimeSpan);
        }
    }

    private void Flush()
    {
        Dictionary<(string, int), long> batch;
        lock (_gate)
        {
            batch = _pending;
            _pending = new();
            _timer?.Dispose();
            _timer = null;
        }
        if (batch.Count == 0) return;
        try { _store.AddUnverifiedAsync(batch).GetAwaiter().GetResult(); }
        catch (Exception) { /* counts are best effort: a failing write must not break serving */ }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
        }
        Flush();
    }
}
