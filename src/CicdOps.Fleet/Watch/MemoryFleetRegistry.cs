using System.Runtime.CompilerServices;
using System.Threading.Channels;
using CicdOps.Engine.Fleet;

namespace CicdOps.Fleet.Watch;

/// <summary>
/// A registry held in this process: what a node that has joined no fleet watches. The same sync loop that publishes
/// to PostgreSQL or MongoDB publishes this server's state here, so the local watch and the fleet watch see the same
/// records and the same events. Its one node never turns stale (it is this process).
/// </summary>
public sealed class MemoryFleetRegistry : IFleetRegistry
{
    private readonly object _gate = new();
    private readonly Dictionary<string, FleetNode> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, string), FleetProject> _projects = new();
    private readonly Dictionary<(string, long), FleetDeployment> _deployments = new();
    private readonly Dictionary<(string, long), FleetEvent> _events = new();
    private readonly List<Channel<FleetChange>> _watchers = new();

    public RegistryBackend Backend => RegistryBackend.PostgreSql; // unused: this registry has no URI or backend of its own

    public Task InitializeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task PublishNodeAsync(FleetNode node, CancellationToken cancellationToken)
    {
        var stored = node with { LastSeen = DateTimeOffset.UtcNow, State = FleetNodeState.Online };
        lock (_gate) _nodes[node.Id] = stored;
        Emit(new FleetChange { Kind = FleetChangeKind.Node, NodeId = node.Id, NodeRecord = stored });
        return Task.CompletedTask;
    }

    public Task UpsertProjectsAsync(IReadOnlyList<FleetProject> projects, CancellationToken cancellationToken)
    {
        foreach (var p in projects)
        {
            var stored = p with { UpdatedAt = DateTimeOffset.UtcNow };
            lock (_gate) _projects[(p.NodeId, p.Name)] = stored;
            Emit(new FleetChange { Kind = FleetChangeKind.Project, NodeId = p.NodeId, Project = p.Name, ProjectRecord = stored });
        }
        return Task.CompletedTask;
    }

    public Task RemoveProjectsAsync(string nodeId, IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        foreach (var name in names)
        {
            lock (_gate) _projects.Remove((nodeId, name));
            Emit(new FleetChange { Kind = FleetChangeKind.ProjectRemoved, NodeId = nodeId, Project = name });
        }
        return Task.CompletedTask;
    }

    public Task UpsertDeploymentsAsync(IReadOnlyList<FleetDeployment> deployments, CancellationToken cancellationToken)
    {
        foreach (var d in deployments)
        {
            lock (_gate) _deployments[(d.NodeId, d.Id)] = d;
            Emit(new FleetChange { Kind = FleetChangeKind.Deployment, NodeId = d.NodeId, Project = d.Project, Deployment = d });
        }
        return Task.CompletedTask;
    }

    public Task AppendEventsAsync(IReadOnlyList<FleetEvent> events, CancellationToken cancellationToken)
    {
        foreach (var e in events)
        {
            lock (_gate)
            {
                if (!_events.TryAdd((e.NodeId, e.Sequence), e)) continue;
            }
            Emit(new FleetChange { Kind = FleetChangeKind.Event, NodeId = e.NodeId, Project = e.Project, Event = e });
        }
        return Task.CompletedTask;
    }

    public Task TrimAsync(string nodeId, int deployments, int events, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            foreach (var k in _deployments.Keys.Where(k => k.Item1 == nodeId).OrderByDescending(k => k.Item2).Skip(deployments).ToList()) _deployments.Remove(k);
            foreach (var k in _events.Keys.Where(k => k.Item1 == nodeId).OrderByDescending(k => k.Item2).Skip(events).ToList()) _events.Remove(k);
        }
        return Task.CompletedTask;
    }

    public Task RemoveNodeAsync(string nodeId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _nodes.Remove(nodeId);
            foreach (var k in _projects.Keys.Where(k => k.Item1 == nodeId).ToList()) _projects.Remove(k);
        }
        Emit(new FleetChange { Kind = FleetChangeKind.NodeRemoved, NodeId = nodeId });
        return Task.CompletedTask;
    }

    public Task<FleetSnapshot> GetSnapshotAsync(int recent, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(new FleetSnapshot
            {
                Nodes = _nodes.Values.OrderBy(n => n.Name, StringComparer.Ordinal).ToList(),
                Projects = _projects.Values.OrderBy(p => p.Node, StringComparer.Ordinal).ThenBy(p => p.Name, StringComparer.Ordinal).ToList(),
                Deployments = _deployments.Values.OrderByDescending(d => d.QueuedAt).Take(recent).ToList(),
                Events = _events.Values.OrderByDescending(e => e.Sequence).Take(recent).ToList(),
                TakenAt = DateTimeOffset.UtcNow,
            });
        }
    }

    public async IAsyncEnumerable<FleetChange> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Bounded: a watcher that stops reading loses the oldest changes, never this process's memory.
        var channel = Channel.CreateBounded<FleetChange>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        lock (_watchers) _watchers.Add(channel);
        try
        {
            await foreach (var change in channel.Reader.ReadAllAsync(cancellationToken)) yield return change;
        }
        finally
        {
            lock (_watchers) _watchers.Remove(channel);
        }
    }

    public ValueTask DisposeAsync()
    {
        lock (_watchers) foreach (var w in _watchers) w.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }

    private void Emit(FleetChange change)
    {
        lock (_watchers) foreach (var w in _watchers) w.Writer.TryWrite(change);
    }
}
