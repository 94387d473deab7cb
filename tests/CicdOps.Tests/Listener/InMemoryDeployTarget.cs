using System.Collections.Concurrent;
using CicdOps.Engine.Deploy;
using CicdOps.Engine.Listener;
using CicdOps.Engine.Model;
using CicdOps.Engine.State;

namespace CicdOps.Tests.Listener;

/// <summary>
/// A list-backed deploy target standing in for CicdEngine: it holds projects in memory and records every
/// deployment request, answering Skipped for pinned projects as the engine does.
/// </summary>
internal sealed class InMemoryDeployTarget : IDeployTarget
{
    private readonly List<Project> _projects = new();
    private long _nextId;

    public ConcurrentQueue<DeploymentRequest> Requests { get; } = new();
    /// <summary>When set, the next request throws it (as a failing store would).</summary>
    public Exception? FailNext { get => _failNext; set => _failNext = value; }
    private Exception? _failNext;

    public InMemoryDeployTarget Add(string name, string repository, string branch = "main", string? pinned = null)
    {
        lock (_projects)
            _projects.Add(new Project { Name = name, Repository = repository, Branch = branch, Path = "/srv/" + name, PinnedCommit = pinned });
        return this;
    }

    public void Remove(string name)
    {
        lock (_projects) _projects.RemoveAll(p => p.Name == name);
    }

    /// <summary>Projects as GetProjects returned them a moment ago (to simulate a concurrent unregister).</summary>
    public IReadOnlyList<Project>? Snapshot { get; set; }

    public IReadOnlyList<Project> GetProjects()
    {
        if (Snapshot is { } snap) return snap;
        lock (_projects) return _projects.ToList();
    }

    /// <summary>Queue entries whose transaction committed (the listener reports each one after its commit).</summary>
    public ConcurrentQueue<QueuedDeployment> Committed { get; } = new();

    public QueuedDeployment Queue(Statements tx, string project, string commit)
    {
        if (Interlocked.Exchange(ref _failNext, null) is { } fail) throw fail;
        Project? p;
        lock (_projects) p = _projects.SingleOrDefault(x => x.Name == project);
        if (p is null) throw new CicdOps.Engine.CicdException(CicdOps.Engine.CicdError.ProjectNotFound, $"No project '{project}'.", project);
        Requests.Enqueue(new DeploymentRequest { Project = project, Commit = commit, Trigger = DeploymentTrigger.Webhook });
        var status = p.IsPinned ? DeploymentStatus.Skipped : DeploymentStatus.Queued;
        return new QueuedDeployment(project, Interlocked.Increment(ref _nextId), status, NeedsRunner: status == DeploymentStatus.Queued);
    }

    /// <summary>When set, handing on a committed deployment throws it (as a runner that cannot start would).</summary>
    public Exception? FailCommitted { get; set; }

    void IDeployTarget.Committed(QueuedDeployment queued)
    {
        if (FailCommitted is { } fail) throw fail;
        Committed.Enqueue(queued);
    }
}
