namespace CicdOps.Fleet.Watch;

/// <summary>
/// Turns registry records and changes into <see cref="FleetUpdate"/> rows. It remembers the last record of each node
/// and project, so an event or a deployment row carries its project's status and health (a watch filtered with
/// `Where-Object Health -eq Unhealthy` sees the events of unhealthy projects), and a node's heartbeat becomes a row
/// only when something a watcher would see changed (state, name, version).
/// </summary>
internal sealed class FleetUpdateView
{
    private readonly Dictionary<string, FleetNode> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, string), FleetProject> _projects = new();

    /// <summary>Replaces what is known with a snapshot and returns its rows (one per node, one per project).</summary>
    public List<FleetUpdate> Load(FleetSnapshot s)
    {
        _nodes.Clear();
        _projects.Clear();
        foreach (var n in s.Nodes) _nodes[n.Id] = n;
        foreach (var p in s.Projects) _projects[(p.NodeId, p.Name)] = p;
        return s.Nodes.Select(NodeRow).Concat(s.Projects.Select(ProjectRow)).ToList();
    }

    /// <summary>The row a change makes, or null when a watcher would see nothing new (a heartbeat).</summary>
    public FleetUpdate? Apply(FleetChange c)
    {
        switch (c.Kind)
        {
            case FleetChangeKind.Node when c.NodeRecord is { } n:
                var known = _nodes.TryGetValue(n.Id, out var was);
                _nodes[n.Id] = n;
                return known && was!.State == n.State && was.Name == n.Name && was.Version == n.Version ? null : NodeRow(n);
            case FleetChangeKind.NodeRemoved:
                var name = _nodes.TryGetValue(c.NodeId, out var gone) ? gone.Name : c.NodeId;
                _nodes.Remove(c.NodeId);
                foreach (var k in _projects.Keys.Where(k => k.Item1 == c.NodeId).ToList()) _projects.Remove(k);
                return new FleetUpdate { Kind = FleetUpdateKind.NodeRemoved, Node = name, NodeId = c.NodeId, NodeState = FleetNodeState.Stale, At = DateTimeOffset.UtcNow, Event = $"{name} left the fleet" };
            case FleetChangeKind.Project when c.ProjectRecord is { } p:
                _projects[(p.NodeId, p.Name)] = p;
                return ProjectRow(p);
            case FleetChangeKind.ProjectRemoved when c.Project is { } removed:
                _projects.Remove((c.NodeId, removed));
                return Base(FleetUpdateKind.ProjectRemoved, c.NodeId, removed, DateTimeOffset.UtcNow) with { Event = $"{removed} removed" };
            case FleetChangeKind.Deployment when c.Deployment is { } d:
                return Base(FleetUpdateKind.Deployment, d.NodeId, d.Project, d.FinishedAt ?? d.StartedAt ?? d.QueuedAt) with
                {
                    Commit = d.Commit ?? ProjectOf(d.NodeId, d.Project)?.Commit,
                    DeploymentId = d.Id, DeploymentStatus = d.Status,
                    Event = $"deployment {d.Id} ({d.Trigger}) {d.Status}" + (d.Reason is { Length: > 0 } r ? ": " + r : ""),
                };
            case FleetChangeKind.Event when c.Event is { } e:
                return Base(FleetUpdateKind.Event, e.NodeId, e.Project, e.At) with { Event = e.Message, EventKind = e.Kind };
            default:
                return null;
        }
    }

    private FleetProject? ProjectOf(string nodeId, string? project) =>
        project is not null && _projects.TryGetValue((nodeId, project), out var p) ? p : null;

    /// <summary>A row about a node or one of its projects, with what is known of them now.</summary>
    private FleetUpdate Base(FleetUpdateKind kind, string nodeId, string? project, DateTimeOffset at)
    {
        var node = _nodes.GetValueOrDefault(nodeId);
        var p = ProjectOf(nodeId, project);
        return new FleetUpdate
        {
            Kind = kind, NodeId = nodeId, Node = node?.Name ?? p?.Node ?? nodeId, NodeState = node?.State ?? FleetNodeState.Online,
            Project = project, Status = p?.Status, Commit = p?.Commit, Health = p?.Health ?? FleetHealth.Unknown,
            CpuPercent = p?.CpuPercent, MemoryBytes = p?.MemoryBytes, At = at,
        };
    }

    private static FleetUpdate NodeRow(FleetNode n) => new()
    {
        Kind = FleetUpdateKind.Node, NodeId = n.Id, Node = n.Name, NodeState = n.State, At = n.LastSeen,
        CpuPercent = n.Host?.CpuPercent,
        MemoryBytes = n.Host is { MemoryTotalBytes: > 0 } h ? h.MemoryTotalBytes - h.MemoryAvailableBytes : null,
        Event = n.State == FleetNodeState.Stale ? $"{n.Name} stopped reporting (stale)" : null,
    };

    private FleetUpdate ProjectRow(FleetProject p) => new()
    {
        Kind = FleetUpdateKind.Project, NodeId = p.NodeId, Node = _nodes.GetValueOrDefault(p.NodeId)?.Name ?? p.Node,
        NodeState = _nodes.GetValueOrDefault(p.NodeId)?.State ?? FleetNodeState.Online,
        Project = p.Name, Status = p.Status, Commit = p.Commit, Health = p.Health, CpuPercent = p.CpuPercent, MemoryBytes = p.MemoryBytes,
        At = p.UpdatedAt,
    };
}
