namespace CicdOps.Engine.Pipelines;

/// <summary>
/// Polls for a cancel request recorded by another process (`cicdops pipeline cancel`, Stop-CicdPipelineRun) and
/// cancels the run's token when one arrives. A database flag rather than a signal: the canceller needs no rights
/// over the running process, and a request made while the run is between steps is not lost.
/// </summary>
internal sealed class PipelineCancelWatch : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public PipelineCancelWatch(Func<bool> requested, CancellationTokenSource run)
    {
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested && !run.IsCancellationRequested)
            {
                try { await Task.Delay(Interval, _stop.Token); }
                catch (OperationCanceledException) { return; }
                bool asked;
                try { asked = requested(); }
                catch (Exception e) when (e is CicdException or Microsoft.Data.Sqlite.SqliteException) { continue; } // busy: next time
                if (asked) { run.Cancel(); return; }
            }
        });
    }

    public void Dispose()
    {
        _stop.Cancel();
        try { _loop.Wait(TimeSpan.FromSeconds(2)); } catch (AggregateException) { }
        _stop.Dispose();
    }
}
