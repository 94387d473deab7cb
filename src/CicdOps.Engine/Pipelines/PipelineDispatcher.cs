using CicdOps.Engine.State;

namespace CicdOps.Engine.Pipelines;

/// <summary>
/// Runs the pipeline runs webhooks queued in this process (the listener), in the background: a loop that claims
/// queued runs first come first served while fewer than <see cref="EngineOptions.MaxPipelineRuns"/> run on the server
/// (counted across processes in SQLite), starts each, and ends when nothing is queued or running. <see cref="Wake"/>
/// (after a delivery's transaction committed) starts it again. Runs it never started stay Queued in SQLite, so a
/// later listener takes them over (<see cref="TakeOverOrphans"/>).
/// </summary>
internal sealed class PipelineDispatcher : IDisposable
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);
    private readonly EngineContext _ctx;
    private readonly object _gate = new();
    private CancellationTokenSource _stop = new();
    private readonly Dictionary<string, Task> _running = new();
    private Task? _loop;
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public PipelineDispatcher(EngineContext ctx) => _ctx = ctx;

    /// <summary>Where a run's background trouble is reported (the listener's log); null: nowhere but the run's own logs.</summary>
    public Action<string>? Log { get; set; }

    /// <summary>Runs being run by this process now.</summary>
    public int Running { get { lock (_gate) return _running.Count; } }

    public void Wake()
    {
        lock (_gate)
        {
            if (_stop.IsCancellationRequested) return;
            _wake.TrySetResult();
            if (_loop is null || _loop.IsCompleted) _loop = Task.Run(LoopAsync);
        }
    }

    /// <summary>Takes over the queued webhook runs of processes that died, and starts them.</summary>
    public int TakeOverOrphans()
    {
        var n = _ctx.Db.Write(PipelineRunStore.TakeOverOrphans);
        if (n > 0) Wake();
        return n;
    }

    private async Task LoopAsync()
    {
        CancellationToken stopping;
        lock (_gate) stopping = _stop.Token;
        var max = Math.Max(1, _ctx.Options.MaxPipelineRuns ?? Environment.ProcessorCount);
        while (!stopping.IsCancellationRequested)
        {
            Task wake;
            lock (_gate)
            {
                wake = _wake.Task;
                if (wake.IsCompleted) _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            List<string> queued;
            try { queued = _ctx.Db.Read(PipelineRunStore.QueuedInBackground); }
            catch (Exception e) { Log?.Invoke($"pipeline queue: {e.Message}"); queued = new(); }
            foreach (var id in queued)
            {
                PipelineRunStatus status;
                try { status = _ctx.Db.Write(c => PipelineRunStore.TryClaim(c, id, max)); }
                catch (Exception e) { Log?.Invoke($"pipeline run {id}: {e.Message}"); break; }
                if (status == PipelineRunStatus.Queued) break; // first come, first served: the rest wait too
                if (status == PipelineRunStatus.Running) Start(id, stopping);
            }
            lock (_gate)
            {
                // Nothing queued here and nothing running: the loop ends; the next delivery's Wake starts it again.
                if (queued.Count == 0 && _running.Count == 0 && !_wake.Task.IsCompleted) { _loop = null; return; }
            }
            try { await Task.WhenAny(wake, Task.Delay(Poll, stopping)); }
            catch (OperationCanceledException) { }
        }
    }

    private void Start(string runId, CancellationToken stopping)
    {
        // Registered under the lock the run's own end takes, so it cannot end before it is registered.
        lock (_gate) _running[runId] = Task.Run(async () =>
        {
            try { await PipelineRuns.RunQueuedAsync(_ctx, runId, Log, stopping); }
            catch (OperationCanceledException) { }
            catch (Exception e) { Log?.Invoke($"pipeline run {runId} ended with an error: {e.Message.Split('\n')[0]}"); }
            finally
            {
                lock (_gate) _running.Remove(runId);
                Wake();
            }
        });
    }

    /// <summary>
    /// Lets running runs finish for up to <paramref name="grace"/>, then cancels them (recorded Cancelled). Queued runs
    /// stay queued for the next listener.
    /// </summary>
    public async Task StopAsync(TimeSpan grace)
    {
        Task[] running;
        lock (_gate) running = _running.Values.ToArray();
        if (running.Length > 0) await Task.WhenAny(Task.WhenAll(running), Task.Delay(grace));
        CancellationTokenSource stopped;
        lock (_gate)
        {
            stopped = _stop;
            stopped.Cancel();
            running = _running.Values.Append(_loop ?? Task.CompletedTask).ToArray();
        }
        await Task.WhenAny(Task.WhenAll(running), Task.Delay(TimeSpan.FromSeconds(10)));
        // A later listener of the same engine (a restart in one process) starts runs again.
        lock (_gate)
        {
            if (_disposed == 0 && ReferenceEquals(_stop, stopped)) { _stop = new(); _loop = null; }
        }
    }

    private int _disposed;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        StopAsync(TimeSpan.Zero).GetAwaiter().GetResult();
    }
}
