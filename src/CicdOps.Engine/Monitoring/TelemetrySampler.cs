using CicdOps.Engine.Processes;
using CicdOps.Engine.State;

namespace CicdOps.Engine.Monitoring;

/// <summary>One pass's findings: the published snapshot, and per project whether its tracked app process is alive (for the watchdog).</summary>
internal sealed record SamplePass(TelemetrySnapshot Snapshot, IReadOnlyList<MonitoredProject> Projects, IReadOnlyDictionary<string, bool> Alive);

/// <summary>
/// Reads, for every project's app, its processes (from the engine's tracking: the cgroup unit, or the launch's process
/// group), CPU since the previous pass, resident memory, listening ports and uptime; and the host's figures. Everything
/// comes from /proc and statvfs, one stat read per process: no child processes, no per-project scan of /proc. Memory is
/// bounded by what is running now (the previous pass's CPU counters, replaced each pass).
/// </summary>
internal sealed class TelemetrySampler
{
    private readonly EngineContext _ctx;
    private readonly ProcStatReader _stat = new();
    private readonly ListeningSockets _sockets = new();
    private readonly HostProbe _host = new();
    private readonly long _pageSize = Environment.SystemPageSize;
    private Dictionary<(int Pid, long Start), long> _previousTicks = new();
    private long _previousAt;

    public TelemetrySampler(EngineContext ctx) { _ctx = ctx; }

    /// <summary>The last failed health check per project (the watchdog fills it; shown with the app's figures).</summary>
    public Func<string, string?> HealthFailure { get; set; } = _ => null;

    public SamplePass Sample()
    {
        var (projects, restarts) = _ctx.Db.Read(c => (TelemetryStore.Projects(c), TelemetryStore.Restarts(c)));
        var now = Environment.TickCount64;
        var elapsedTicks = _previousAt == 0 ? (double?)null : (now - _previousAt) / 1000.0 * ProcStatReader.TicksPerSecond;
        _previousAt = now;
        _sockets.Refresh();
        var uptime = HostProbe.UptimeSeconds();
        var groups = _ctx.Tracker.IsAuthoritative ? null : ProcessGroups();
        var ticks = new Dictionary<(int, long), long>();
        var apps = new List<AppStats>(projects.Count);
        var alive = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var p in projects)
        {
            var members = Members(p, groups);
            long cpu = 0, rss = 0;
            var ports = new SortedSet<int>();
            ProcSample? tracked = null;
            foreach (var m in members)
            {
                if (m.State == 'Z') continue;
                rss += m.RssPages;
                var key = (m.Pid, m.StartTicks);
                ticks[key] = m.CpuTicks;
                cpu += _previousTicks.TryGetValue(key, out var before) ? Math.Max(0, m.CpuTicks - before) : m.CpuTicks;
                if (p.App is { } app && m.Pid == app.Pid) tracked = m;
                _sockets.AddPortsOf(m.Pid, ports);
            }
            // The tracked pid may have left the unit's list (a handed-over daemon without cgroups): ask /proc directly.
            if (tracked is null && p.App is { } a && _stat.Read(a.Pid) is { } direct && direct.State != 'Z' &&
                (a.StartTicks is null || a.StartTicks == direct.StartTicks))
                tracked = direct;
            var isAlive = tracked is not null && (p.App!.StartTicks is null || p.App.StartTicks == tracked.Value.StartTicks);
            alive[p.Name] = isAlive;
            var running = members.Count(m => m.State != 'Z');
            apps.Add(new AppStats
            {
                Project = p.Name, Status = p.Status, Commit = p.Commit,
                Health = p.Status switch
                {
                    ProjectStatus.Healthy => isAlive || p.App is null ? AppHealth.Healthy : AppHealth.Unhealthy,
                    ProjectStatus.Unhealthy or ProjectStatus.Failed => AppHealth.Unhealthy,
                    _ => AppHealth.Unknown,
                },
                Processes = running,
                // No process, no figure (rather than a 0 that would read as "idle").
                CpuPercent = running > 0 && elapsedTicks is > 0 ? Math.Round(100.0 * cpu / elapsedTicks.Value, 1) : null,
                MemoryBytes = rss * _pageSize,
                ListeningPorts = ports.ToList(),
                Uptime = isAlive && uptime is { } up ? TimeSpan.FromSeconds(Math.Max(0, up - tracked!.Value.StartTicks / ProcStatReader.TicksPerSecond)) : null,
                Restarts = restarts.GetValueOrDefault(p.Name),
                PathFreeBytes = HostProbe.FreeBytes(p.Path),
                LastHealthFailure = p.Status is ProjectStatus.Unhealthy or ProjectStatus.Healthy ? HealthFailure(p.Name) : null,
            });
        }
        _previousTicks = ticks;
        var snapshot = new TelemetrySnapshot
        {
            SampledAt = DateTimeOffset.UtcNow, Interval = _ctx.Options.Watchdog.SampleInterval,
            Host = _host.Sample(_ctx.Layout.Root), Apps = apps,
        };
        return new SamplePass(snapshot, projects, alive);
    }

    /// <summary>The unit's processes: the cgroup's list, or (process groups) the launch's group from the one /proc scan of this pass.</summary>
    private List<ProcSample> Members(MonitoredProject p, Dictionary<int, List<ProcSample>>? groups)
    {
        if (groups is not null)
            return p.App is { } app && app.Pgid > 1 && app.Pgid != Posix.OwnProcessGroup && groups.TryGetValue(app.Pgid, out var g) ? g : new();
        var list = new List<ProcSample>();
        foreach (var pid in _ctx.Tracker.Members(AppUnits.App(p.Name), p.App?.Pgid))
            if (_stat.Read(pid) is { } s) list.Add(s);
        return list;
    }

    /// <summary>Every process by process group: one read of each /proc/PID/stat per pass, however many projects there are.</summary>
    private Dictionary<int, List<ProcSample>> ProcessGroups()
    {
        var groups = new Dictionary<int, List<ProcSample>>();
        foreach (var pid in ProcFs.AllPids())
        {
            if (_stat.Read(pid) is not { } s) continue;
            if (!groups.TryGetValue(s.Pgid, out var list)) groups[s.Pgid] = list = new List<ProcSample>(2);
            list.Add(s);
        }
        return groups;
    }
}
