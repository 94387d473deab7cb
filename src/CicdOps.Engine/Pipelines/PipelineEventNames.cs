namespace CicdOps.Engine.Pipelines;

/// <summary>
/// The webhook events a project can subscribe its pipeline to, as typed by users and stored in projects.pipeline_events
/// (comma-separated, in this order). "none" alone subscribes to nothing.
/// </summary>
public static class PipelineEventNames
{
    public const string Push = "push";
    public const string PullRequest = "pull_request";
    public const string Tag = "tag";
    public static readonly IReadOnlyList<string> All = [Push, PullRequest, Tag];

    /// <summary>The events in canonical order (an empty list, or "none" alone: no event); a CicdException naming the first unknown one.</summary>
    public static IReadOnlyList<string> Validate(IEnumerable<string> events)
    {
        var given = events.SelectMany(e => e.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToList();
        if (given.Count == 1 && given[0] == "none") return Array.Empty<string>();
        foreach (var e in given)
            if (!All.Contains(e))
                throw new CicdException(CicdError.InvalidArgument,
                    $"Pipeline event '{Validation.Names.Printable(e)}' is not one of {string.Join(", ", All)} (or none alone).", e);
        return All.Where(given.Contains).ToList();
    }

    /// <summary>Whether the project subscribes to <paramref name="eventName"/> (indexed: runs per matched project per delivery).</summary>
    public static bool Subscribes(Project p, string eventName)
    {
        var events = p.PipelineEvents;
        for (var i = 0; i < events.Count; i++)
            if (events[i] == eventName) return true;
        return false;
    }

    public static string Store(IReadOnlyList<string> events) => string.Join(',', events);

    public static IReadOnlyList<string> Load(string? stored) =>
        stored is null ? [Push] : stored.Split(',', StringSplitOptions.RemoveEmptyEntries);
}
