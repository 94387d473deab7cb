using CicdOps.Engine.Model;
using CicdOps.Engine.Webhooks;

namespace CicdOps.Engine.Listener;

/// <summary>Finds the projects a push concerns and the ref update each should deploy.</summary>
internal sealed class ProjectMatcher
{
    // The engine hands out the same project list until it refreshes it, so the index by repository key is
    // built once per list, not per delivery (with hundreds of projects, per-delivery matching dominated).
    private Index? _index;

    public IReadOnlyList<Project> Matching(IReadOnlyList<Project> projects, IReadOnlyList<string> repositoryKeys)
    {
        if (repositoryKeys.Count == 0) return Array.Empty<Project>();
        var index = Volatile.Read(ref _index);
        if (index is null || !ReferenceEquals(index.Projects, projects)) Volatile.Write(ref _index, index = new Index(projects));
        List<Hit>? hits = null;
        foreach (var key in repositoryKeys)
            if (index.ByKey.TryGetValue(key, out var list)) hits = hits is null ? list : hits.Concat(list).ToList();
        if (hits is null) return Array.Empty<Project>();
        // The usual case is one key: its list, as indexed. A project is under one key only, so several keys never
        // give duplicates; their union is put back in the registry's order.
        return index.Lists.TryGetValue(hits, out var ready) ? ready : hits.OrderBy(h => h.Order).Select(h => h.Project).ToList();
    }

    /// <summary>Whether the push's repository is <paramref name="project"/>'s (for deliveries addressed to one project by URL).</summary>
    public static bool Matches(Project project, IReadOnlyList<string> repositoryKeys) =>
        RepositoryUrl.Normalize(project.Repository) is { } key && repositoryKeys.Contains(key, StringComparer.Ordinal);

    private sealed record Hit(int Order, Project Project);

    private sealed class Index
    {
        public Index(IReadOnlyList<Project> projects)
        {
            Projects = projects;
            for (var i = 0; i < projects.Count; i++)
            {
                if (RepositoryUrl.Normalize(projects[i].Repository) is not { } key) continue;
                if (!ByKey.TryGetValue(key, out var list)) ByKey[key] = list = new();
                list.Add(new Hit(i, projects[i]));
            }
            foreach (var list in ByKey.Values) Lists[list] = list.Select(h => h.Project).ToList();
        }

        public IReadOnlyList<Project> Projects { get; }
        public Dictionary<string, List<Hit>> ByKey { get; } = new(StringComparer.Ordinal);
        /// <summary>Each key's projects as a ready list, found by the key's hit list (reference equality).</summary>
        public Dictionary<List<Hit>, IReadOnlyList<Project>> Lists { get; } = new(ReferenceEqualityComparer.Instance);
    }

    /// <summary>The update of the project's branch to deploy, or why there is nothing to deploy.</summary>
    public static (RefUpdate? Update, string? IgnoredBecause) Choose(Project project, IReadOnlyList<RefUpdate> updates)
    {
        var anyBranch = false;
        // Indexed, not foreach: called for every matched project of every delivery, and an interface enumerator
        // is an allocation each time.
        for (var i = 0; i < updates.Count; i++)
        {
            var u = updates[i];
            anyBranch |= u.Branch is not null;
            if (!string.Equals(u.Branch, project.Branch, StringComparison.Ordinal)) continue;
            if (u.Deleted || u.After is null) return (null, "branch deleted");
            return (u, null);
        }
        return (null, updates.Count > 0 && !anyBranch ? "not a branch push" : "other branch");
    }
}
