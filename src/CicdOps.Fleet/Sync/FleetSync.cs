using System.Reflection;
using CicdOps.Engine.Fleet;

namespace CicdOps.Fleet.Sync;

/// <summary>
/// Publishes this node to the registry, incrementally: each pass reads the local SQLite state (the source of
/// truth), sends the node's heartbeat and host figures, and only the projects, deployments and events that changed
/// since the last pass the registry accepted. A failed pass changes nothing here, so the next one resends the same
/// difference: an outage loses nothing and the node catches up when the registry returns. Deploys never wait on
/// this loop (it only reads the local database).
/// </summary>
public sealed class FleetSync
{
    private const int MaxPendingEvents = 10_000;
    /// <summary>History the registry keeps per node (the node's own database keeps everything).</summary>
    public const int KeepDeployments = 200, KeepEvents = 1000;
    private readonly CicdEngine _engine;
    private readonly IFleetRegistry _registry;
    private readonly NodeIdentity _node;
    private readonly TimeSpan _interval;
    /// <summary>The last watchdog event (the node's event log) already turned into a fleet event; null before the first pass.</summary>
    private long? _eventCursor;
    private readonly Action<string> _log;
    private readonly int _recent;

    // What the registry has accepted (diffed against on each pass).
    private readonly Dictionary<string, FleetProject> _publishedProjects = new(StringComparer.Ordinal);
    private readonly Dictionary<long, FleetDeployment> _publishedDeployments = new();
    // What this loop has seen locally (events are derived from its changes, once, and queued until published).
    private Dictionary<string, ProjectStatus>? _seenProjects;
    private readonly Dictionary<long, DeploymentStatus> _seenDeployments = new();
    private readonly List<FleetEvent> _pendingEvents = new();
    private long _nextSequence = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
    private bool _initialized;
    private bool _failing;

    public FleetSync(CicdEngine engine, IFleetRegistry registry, NodeIdentity node, TimeSpan interval, Action<string>? log = null, int recentDeployments = 50)
    {
        _engine = engine; _registry = registry; _node = node; _interval = interval;
        _log = log ?? (_ => { });
        _recent = recentDeployments;
    }

    public static string Version { get; } =
        typeof(CicdEngine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>When the last pass was accepted by the registry (null: not yet).</summary>
    public DateTimeOffset? LastSuccess { get; private set; }
    /// <summary>Why the last pass failed (masked), or null when it succeeded.</summary>
    public string? LastError { get; private set; }
    public int PendingEvents { get { lock (_pendingEvents) return _pendingEvents.Count; } }

    /// <summary>Passes every interval until cancelled; a failed pass is logged (once per outage) and retried.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        // Cancelled (the service stopping) is the normal end, whether mid-pass or between passes.
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await TrySyncOnceAsync(ct);
                await Task.Delay(_interval, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
    }

    /// <summary>One pass; false (and <see cref="LastError"/>) when the registry did not accept it.</summary>
    public async Task<bool> TrySyncOnceAsync(CancellationToken ct)
    {
        try
        {
            await SyncOnceAsync(ct);
            if (_failing) _log($"fleet: registry reachable again; caught up ({_node.Name})");
            _failing = false;
            LastError = null;
            return true;
        }
        // Whatever goes wrong with the registry, the loop (and the listener it runs in) goes on and retries.
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            LastError = e.Message;
            if (!_failing) _log($"fleet: cannot publish ({e.Message}); deploys go on, will retry every {_interval.TotalSeconds:0.#} s");
            _failing = true;
            return false;
        }
    }

    private async Task SyncOnceAsync(CancellationToken ct)
    {
        // The listener's sampler's latest figures (a one-off sample when this process runs no sampler).
        var telemetry = _engine.GetTelemetry();
        var apps = telemetry.Apps.ToDictionary(a => a.Project, StringComparer.Ordinal);
        var projects = _engine.GetProjects().Select(p => LocalState.Project(p, _node, apps.GetValueOrDefault(p.Name))).ToList();
        var deployments = _engine.GetDeployments(limit: _recent).Select(d => LocalState.Deployment(d, _node)).ToList();
        DeriveEvents(projects, deployments);
        ForwardWatchdogEvents();

        if (!_initialized)
        {
            await _registry.InitializeAsync(ct);
            _initialized = true;
        }
        await _registry.PublishNodeAsync(new FleetNode
        {
            Id = _node.Id, Name = _node.Name, Version = Version, SyncInterval = _interval, Host = telemetry.Host,
        }, ct);

        var changedProjects = projects.Where(p => !_publishedProjects.TryGetValue(p.Name, out var old)
            || LocalState.Comparable(old) != LocalState.Comparable(p)).ToList();
        var removed = _publishedProjects.Keys.Except(projects.Select(p => p.Name)).ToList();
        var changedDeployments = deployments.Where(d => !_publishedDeployments.TryGetValue(d.Id, out var old) || old != d).ToList();
        List<FleetEvent> events;
        lock (_pendingEvents) events = _pendingEvents.ToList();

        await _registry.UpsertProjectsAsync(changedProjects, ct);
        await _registry.RemoveProjectsAsync(_node.Id, removed, ct);
        await _registry.UpsertDeploymentsAsync(changedDeployments, ct);
        await _registry.AppendEventsAsync(events, ct);
        if (changedDeployments.Count > 0 || events.Count > 0) await _registry.TrimAsync(_node.Id, KeepDeployments, KeepEvents, ct);

        // Accepted: remember it, so the next pass sends only what changes after this.
        foreach (var p in changedProjects) _publishedProjects[p.Name] = p;
        foreach (var name in removed) _publishedProjects.Remove(name);
        foreach (var d in changedDeployments) _publishedDeployments[d.Id] = d;
        var keep = deployments.Select(d => d.Id).ToHashSet();
        foreach (var id in _publishedDeployments.Keys.Where(id => !keep.Contains(id)).ToList()) _publishedDeployments.Remove(id);
        lock (_pendingEvents) _pendingEvents.RemoveRange(0, events.Count);
        LastSuccess = DateTimeOffset.UtcNow;
    }

    /// <summary>Turns local changes into events, once each, whether or not the registry is reachable now.</summary>
    private void DeriveEvents(List<FleetProject> projects, List<FleetDeployment> deployments)
    {
        var first = _seenProjects is null;
        _seenProjects ??= new Dictionary<string, ProjectStatus>(StringComparer.Ordinal);
        if (first) Add(null, FleetEventKind.NodeJoined, $"{_node.Name} reporting (CicdOps {Version}, {projects.Count} projects)");
        foreach (var p in projects)
        {
            if (!_seenProjects.TryGetValue(p.Name, out var was))
            {
                if (!first) Add(p.Name, FleetEventKind.ProjectAdded, $"{p.Name} added ({p.Branch})");
            }
            else if (was != p.Status) Add(p.Name, FleetEventKind.ProjectStatusChanged, $"{p.Name}: {was} → {p.Status}");
            _seenProjects[p.Name] = p.Status;
        }
        foreach (var name in _seenProjects.Keys.Except(projects.Select(p => p.Name)).ToList())
        {
            Add(name, FleetEventKind.ProjectRemoved, $"{name} removed");
            _seenProjects.Remove(name);
        }
        foreach (var d in deployments.OrderBy(d => d.Id))
        {
            var known = _seenDeployments.TryGetValue(d.Id, out var was);
            _seenDeployments[d.Id] = d.Status;
            if (first || (known && was == d.Status)) continue;
            var what = $"{d.Project}: deployment {d.Id} ({d.Trigger}) {d.Status}" + (d.Commit is { } c ? $" at {c[..Math.Min(12, c.Length)]}" : "");
            var kind = d.Status switch
            {
                DeploymentStatus.Queued => FleetEventKind.DeploymentQueued,
                DeploymentStatus.Running => FleetEventKind.DeploymentStarted,
                _ => FleetEventKind.DeploymentFinished,
            };
            // A deployment first seen already running or finished still gets its one event.
            Add(d.Project, kind, what);
        }
        var live = deployments.Select(d => d.Id).ToHashSet();
        foreach (var id in _seenDeployments.Keys.Where(id => !live.Contains(id)).ToList()) _seenDeployments.Remove(id);
    }

    /// <summary>
    /// The watchdog's events (unhealthy, restarting, recovered, gave up) from the node's event log, each once, in order.
    /// The first pass starts after the newest one: history before this loop started is the node's own to show.
    /// </summary>
    private void ForwardWatchdogEvents()
    {
        if (_eventCursor is not { } after)
        {
            _eventCursor = _engine.GetEvents(limit: 1, newest: true).LastOrDefault()?.Id ?? 0;
            return;
        }
        foreach (var e in _engine.GetEvents(afterId: after, limit: 1000))
        {
            if (LocalState.EventKind(e.Kind) is { } kind) Add(e.Project, kind, $"{e.Project}: {e.Message}");
            _eventCursor = e.Id;
        }
    }

    private void Add(string? project, FleetEventKind kind, string message)
    {
        lock (_pendingEvents)
        {
            // Bounded: a very long outage keeps the newest events (the registry's state itself is always complete).
            if (_pendingEvents.Count >= MaxPendingEvents) _pendingEvents.RemoveAt(0);
            _pendingEvents.Add(new FleetEvent
            {
                NodeId = _node.Id, Node = _node.Name, Sequence = ++_nextSequence, At = DateTimeOffset.UtcNow,
                Project = project, Kind = kind, Message = message,
            });
        }
    }
}
