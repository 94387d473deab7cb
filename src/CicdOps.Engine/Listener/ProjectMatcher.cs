using System.Collections.Concurrent;
using CicdOps.Engine.Model;
using CicdOps.Engine.Webhooks;

namespace CicdOps.Engine.Listener;

/// <summary>Finds the projects a push concerns and the ref update each should deploy.</summary>
internal sealed class ProjectMatcher
{
    // Project repositories rarely change; normalising each once keeps matching cheap with many projects.
    private readonly ConcurrentDictionary<string, string?> _keys = new(StringComparer.Ordinal);

    public IReadOnlyList<Project> Matching(IReadOnlyList<Project> projects, IReadOnlyList<string> repositoryKeys)
    {
        if (repositoryKeys.Count == 0) return Array.Empty<Project>();
        if (_keys.Count > 10_000) _keys.Clear();
        var result = new List<Project>();
        foreach (var p in projects)
        {
            var key = _keys.GetOrAdd(p.Repository, RepositoryUrl.Normalize);
            if (key is not null && repositoryKeys.Contains(key)) result.Add(p);
        }
        return result;
    }

    /// <summary>The update of the project's branch to deploy, or why there is nothing to deploy.</summary>
    public static (RefUpdate? Update, string? IgnoredBecause) Choose(Project project, IReadOnlyList<RefUpdate> updates)
    {
        var wanted = RefUpdate.BranchPrefix + project.Branch;
        foreach (var u in updates)
        {
            if (!string.Equals(u.Ref, wanted, StringComparison.Ordinal)) continue;
            if (u.Deleted || u.After is null) return (null, "branch deleted");
            return (u, null);
        }
        if (updates.Count > 0 && updates.All(u => u.Branch is null)) return (null, "not a branch push");
        return (null, "other branch");
    }
}
