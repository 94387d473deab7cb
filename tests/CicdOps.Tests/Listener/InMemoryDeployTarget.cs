using System.Collections.Concurrent;
using CicdOps.Engine.Listener;
using CicdOps.Engine.Model;

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

    public InMemoryDeployTarget Add(string name, string repository, string branch = "main", string? pinned = null)
    {
        lock (_projects)
            _projects.Add(new Project { Name = name, Repository = repository, Branch = branch, Path = "/srv/" + name, PinnedCommit = pinned });
        return this;
    }

    public IReadOnlyList<Project> GetProjects()
    {
        lock (_projects) return _projects.ToList();
    }

    public Deployment RequestDeployment(DeploymentRequest request)
    {
        Project p;
        lock (_projects) p = _projects.Single(x => x.Name == request.Project);
        Requests.Enqueue(request);
        return new Deployment
        {
            Id = Interlocked.Increment(ref _nextId),
            Project = p.Name,
            Branch = p.Branch,
            RequestedCommit = request.Commit,
            Trigger = request.Trigger,
            Status = p.IsPinned ? DeploymentStatus.Skipped : DeploymentStatus.Queued,
            QueuedAt = DateTimeOffset.UtcNow,
            LogPath = "/dev/null",
        };
    }
}
