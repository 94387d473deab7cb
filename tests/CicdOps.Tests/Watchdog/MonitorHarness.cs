using System.Collections.Concurrent;
using CicdOps.Engine;
using CicdOps.Engine.State;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Watchdog;

/// <summary>
/// A real engine running its monitor (sampler + watchdog) as the listener does, with a fast sample interval and
/// backoff so tests finish quickly. Waits are for conditions with generous limits; nothing asserts on time.
/// </summary>
public sealed class MonitorHarness : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _monitor;
    public ConcurrentQueue<string> Log { get; } = new();

    public MonitorHarness(ProcessTracking tracking = ProcessTracking.Auto, int maxRestarts = 3, bool logPump = true, TimeSpan? resetAfterHealthy = null, bool watchdog = true)
    {
        H = new EngineHarness(new EngineOptions
        {
            ProcessTracking = tracking,
            Watchdog = new WatchdogOptions
            {
                SampleInterval = TimeSpan.FromMilliseconds(200),
                BackoffBase = TimeSpan.FromMilliseconds(200),
                BackoffCap = TimeSpan.FromSeconds(2),
                MaxRestarts = maxRestarts,
                ResetAfterHealthy = resetAfterHealthy ?? TimeSpan.FromMinutes(10),
                Enabled = watchdog,
            },
        }, logPump: logPump);
    }

    public EngineHarness H { get; }
    public CicdEngine Engine => H.Engine;

    public void StartMonitor() => _monitor = Task.Run(() => Engine.RunMonitorAsync(line => Log.Enqueue(line), _stop.Token));

    public string LogText => string.Join("\n", Log);

    /// <summary>The pid the engine tracks as the project's app (null when none).</summary>
    public int? AppPid(string project) => Engine.Context.Db.Read(c => ProjectStore.GetApp(c, project))?.Pid;

    public List<Deployment> WatchdogDeployments(string project) =>
        Engine.GetDeployments(project, 200).Where(d => d.Trigger == DeploymentTrigger.Watchdog).ToList();

    public IReadOnlyList<CicdEvent> Events(string project) => Engine.GetEvents(project, limit: 1000);

    /// <summary>Polls until <paramref name="condition"/> holds; fails with the monitor's log and events after <paramref name="seconds"/>.</summary>
    public void WaitUntil(Func<bool> condition, string what, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"timed out waiting for: {what}\n--- monitor log ---\n{LogText}\n--- events ---\n" +
                            string.Join("\n", Engine.GetEvents(limit: 1000).Select(e => $"{e.Id} {e.Project} {e.Kind} {e.Message}")));
            Thread.Sleep(50);
        }
    }

    /// <summary>Waits for <paramref name="passes"/> more sampler passes (by the snapshot's time), so "nothing happened" means something.</summary>
    public void WaitForPasses(int passes)
    {
        for (var i = 0; i < passes; i++)
        {
            var before = Engine.GetTelemetry().SampledAt;
            WaitUntil(() => Engine.GetTelemetry().SampledAt > before, "a sampler pass");
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        try { _monitor?.Wait(TimeSpan.FromSeconds(30)); } catch (AggregateException) { }
        H.Dispose();
    }
}
