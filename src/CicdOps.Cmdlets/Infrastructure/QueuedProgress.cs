using System.Collections.Concurrent;

namespace CicdOps.Cmdlets.Infrastructure;

/// <summary>
/// An IProgress that only enqueues: the engine reports from worker threads, the cmdlet drains the
/// queue on the pipeline thread (the only thread allowed to call WriteProgress/WriteObject).
/// Unlike Progress&lt;T&gt;, it never posts to a SynchronizationContext.
/// </summary>
public sealed class QueuedProgress<T> : IProgress<T>, IDisposable
{
    private readonly BlockingCollection<T> _queue = new(new ConcurrentQueue<T>());

    public void Report(T value)
    {
        // A report racing with disposal (the wait was abandoned) is dropped, not thrown into the engine.
        try { _queue.Add(value); }
        catch (ObjectDisposedException) { }
        catch (InvalidOperationException) { }
    }

    /// <summary>Waits up to <paramref name="timeout"/> for the next report.</summary>
    public bool TryTake(out T value, TimeSpan timeout) => _queue.TryTake(out value!, timeout);

    public void Dispose() => _queue.Dispose();
}
