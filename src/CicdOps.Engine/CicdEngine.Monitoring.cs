using CicdOps.Engine.Monitoring;
using CicdOps.Engine.State;
using CicdOps.Engine.Validation;

namespace CicdOps.Engine;

/// <summary>
/// Telemetry and the watchdog. They run only inside the listener service (<see cref="RunListenerAsync"/> starts
/// <see cref="RunMonitorAsync"/>); other engine instances can still read a one-off sample and the event log.
/// </summary>
public sealed partial class CicdEngine
{
    private volatile TelemetrySnapshot? _telemetry;
    private TelemetrySampler? _oneOffSampler;

    /// <summary>
    /// The latest sample of every project's app and of the host: the monitor's last pass when it runs in this process
    /// (the listener), otherwise a sample taken now (CPU figures need two samples, so they are null then).
    /// </summary>
    public TelemetrySnapshot GetTelemetry()
    {
        if (_telemetry is { } latest) return latest;
        lock (_telemetryLock) return (_oneOffSampler ??= new TelemetrySampler(_ctx)).Sample().Snapshot;
    }

    private readonly object _telemetryLock = new();

    /// <summary>True while this process runs the sampler and watchdog (the listener).</summary>
    public bool IsMonitoring => _telemetry is not null;

    /// <summary>
    /// The watchdog's events after <paramref name="afterId"/> (oldest first, at most <paramref name="limit"/>): pass the last
    /// id you saw to read on. With <paramref name="newest"/> (and afterId 0), the last <paramref name="limit"/> events.
    /// </summary>
    public IReadOnlyList<CicdEvent> GetEvents(string? project = null, long afterId = 0, int limit = 100, bool newest = false)
    {
        var name = project is null ? null : GetProject(project).Name;
        if (limit < 1) throw new CicdException(CicdError.InvalidArgument, $"Invalid limit {limit}: use 1 or more.", limit);
        if (afterId < 0) throw new CicdException(CicdError.InvalidArgument, $"Invalid event id {afterId}: use 0 or more.", afterId);
        return _ctx.Db.Read(c => EventStore.List(c, name, afterId, limit, newest));
    }

    /// <summary>
    /// The sampler and the watchdog, every <see cref="WatchdogOptions.SampleInterval"/> until <paramref name="stop"/>.
    /// A failing pass is logged (once until one succeeds) and the next one runs anyway.
    /// </summary>
    public async Task RunMonitorAsync(Action<string> log, CancellationToken stop)
    {
        var options = _ctx.Options.Watchdog;
        var sampler = new TelemetrySampler(_ctx);
        var watchdog = options.Enabled ? new Watchdog(this, _ctx, log, stop) : null;
        if (watchdog is not null) sampler.HealthFailure = watchdog.LastFailure;
        log($"monitor: sampling every {options.SampleInterval.TotalSeconds:0.#} s" + (watchdog is null ? "; watchdog off" :
            $"; watchdog restarts after {options.BackoffBase.TotalSeconds:0.#} s doubling to {options.BackoffCap.TotalSeconds:0.#} s, gives up after {options.MaxRestarts}"));
        var failing = false;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var pass = sampler.Sample();
                    _telemetry = pass.Snapshot;
                    watchdog?.Tick(pass);
                    failing = false;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    if (!failing) log($"warning: monitor pass failed: {Listener.ListenerLog.Clean(e.Message)}");
                    failing = true;
                }
                try { await Task.Delay(options.SampleInterval, stop); }
                catch (OperationCanceledException) { break; }
            }
        }
        finally
        {
            if (watchdog is not null) await watchdog.DrainAsync();
            _telemetry = null;
        }
    }
}
