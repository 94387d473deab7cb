using CicdOps.Engine;

namespace CicdOps.Server.Api;

/// <summary>
/// The last 15 minutes of each app's CPU and memory, for the dashboard's charts. The listener's sampler keeps only the
/// latest pass (<see cref="CicdEngine.GetTelemetry"/>); this copies each new pass into a ring per project (at most
/// <see cref="MaxPoints"/> points), polled every <see cref="Every"/> while the listener runs. Bounded by the number of
/// projects; a removed project's ring goes with the next pass.
/// </summary>
public sealed class TelemetryHistory : IAsyncDisposable
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(15);
    public const int MaxPoints = 400;
    private readonly Func<TelemetrySnapshot?> _sample;
    private readonly TimeSpan _every;
    private readonly Dictionary<string, Queue<Point>> _series = new(StringComparer.Ordinal);
    private readonly Dictionary<string, AppStats> _latest = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private DateTimeOffset _lastSample;
    private Task? _loop;

    public TelemetryHistory(Func<TelemetrySnapshot?> sample, TimeSpan? every = null)
    {
        _sample = sample;
        _every = every ?? TimeSpan.FromSeconds(3);
    }

    public TimeSpan Every => _every;

    public void Start() => _loop ??= Task.Run(LoopAsync);

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try { Take(); } catch (Exception) { /* the next pass tries again; telemetry is best-effort */ }
            try { await Task.Delay(_every, _stop.Token); } catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>Copies a new sampler pass (one already copied is ignored).</summary>
    internal void Take()
    {
        if (_sample() is not { } s || s.SampledAt == _lastSample) return;
        lock (_series)
        {
            _lastSample = s.SampledAt;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var a in s.Apps)
            {
                seen.Add(a.Project);
                _latest[a.Project] = a;
                if (!_series.TryGetValue(a.Project, out var q)) _series[a.Project] = q = new Queue<Point>();
                q.Enqueue(new Point(s.SampledAt.ToUnixTimeMilliseconds() / 1000.0, a.CpuPercent, a.MemoryBytes));
                while (q.Count > MaxPoints || (q.Count > 0 && q.Peek().T < (s.SampledAt - Window).ToUnixTimeMilliseconds() / 1000.0)) q.Dequeue();
            }
            foreach (var gone in _series.Keys.Where(k => !seen.Contains(k)).ToList()) { _series.Remove(gone); _latest.Remove(gone); }
        }
    }

    public AppStats? Latest(string project) { lock (_series) return _latest.GetValueOrDefault(project); }

    /// <summary>Per project, parallel arrays (uPlot's shape): time in Unix seconds, CPU %, resident memory in MiB.</summary>
    public IReadOnlyDictionary<string, ChartSeries> Series()
    {
        lock (_series)
            return _series.ToDictionary(kv => kv.Key, kv => new ChartSeries(
                kv.Value.Select(p => p.T).ToArray(),
                kv.Value.Select(p => p.Cpu).ToArray(),
                kv.Value.Select(p => Math.Round(p.Memory / 1048576.0, 1)).ToArray()), StringComparer.Ordinal);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_loop is { } l) await l;
        _stop.Dispose();
    }

    private readonly record struct Point(double T, double? Cpu, long Memory);
    public sealed record ChartSeries(double[] T, double?[] Cpu, double[] MemoryMiB);
}
