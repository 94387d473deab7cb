using System.Buffers;
using System.Text;
using System.Text.Json;

namespace CicdOps.Engine.Listener;

/// <summary>What happened to one project for one delivery: "queued", "pinned", "ignored", "failed" or "rejected", and why.</summary>
public sealed record ProjectOutcome(string Project, string Result, string? Reason = null, long? Deployment = null)
{
    /// <summary>The queue entry made for a "queued" result, so a runner can be started once it is committed.</summary>
    internal Deploy.QueuedDeployment? Queued { get; init; }

    /// <summary>The pipeline run the delivery queued for the project (a push it subscribes to, a tag, a pull request).</summary>
    public string? PipelineRun { get; init; }
}

/// <summary>
/// The per-project results of one delivery, as replied and recorded: every project that deploys, is pinned,
/// failed or was rejected, and the first <see cref="IgnoredListed"/> ignored ones; further ignored projects are
/// only counted. A repository shared by hundreds of projects on different branches would otherwise make every
/// reply and record hundreds of "other branch" entries long (and cost an object each per delivery).
/// </summary>
internal sealed class ProjectOutcomes
{
    public const int IgnoredListed = 10;
    private int _ignored;

    public List<ProjectOutcome> Listed { get; } = new();

    /// <summary>Whether any pipeline run was queued (the dispatcher is woken once the transaction committed).</summary>
    public bool PipelinesQueued { get; set; }

    /// <summary>Ignored projects beyond the ones listed.</summary>
    public int MoreIgnored => Math.Max(0, _ignored - IgnoredListed);

    public void Add(ProjectOutcome outcome) => Listed.Add(outcome);

    public void Ignored(string project, string? reason)
    {
        if (++_ignored <= IgnoredListed) Listed.Add(new ProjectOutcome(project, "ignored", reason));
    }

    /// <summary>"queued" when anything deploys, else "pinned" when a pinned project was concerned, else "ignored".</summary>
    public string Overall
    {
        get
        {
            var pinned = false;
            foreach (var o in Listed)
            {
                if (o.Result == "queued") return "queued";
                pinned |= o.Result == "pinned";
            }
            return pinned ? "pinned" : "ignored";
        }
    }

    /// <summary>project:result for each listed project, then how many more were ignored (for the log line).</summary>
    public string Summary()
    {
        var text = string.Join(',', Listed.Select(o => o.Project + ":" + o.Result));
        return MoreIgnored > 0 ? $"{text},+{MoreIgnored}:ignored" : text;
    }

    private byte[]? _listedJson;

    /// <summary>
    /// The listed outcomes as a UTF-8 JSON array, written once for both the reply and the record. Read it only
    /// once every outcome has been added.
    /// </summary>
    public byte[] ListedJson => _listedJson ??= WriteListed();

    /// <summary>
    /// What the delivery's record keeps: <see cref="ListedJson"/>, and when ignored projects were left out, a last
    /// element {"more_ignored": N} counting them.
    /// </summary>
    public string RecordJson()
    {
        var listed = Encoding.UTF8.GetString(ListedJson);
        if (MoreIgnored == 0) return listed;
        var more = $"{{\"more_ignored\":{MoreIgnored}}}]";
        return listed.Length == 2 ? "[" + more : listed[..^1] + "," + more;
    }

    private byte[] WriteListed()
    {
        var buffer = new ArrayBufferWriter<byte>(64 + 96 * Listed.Count);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            foreach (var p in Listed)
            {
                w.WriteStartObject();
                w.WriteString("project", p.Project);
                w.WriteString("result", p.Result);
                if (p.Reason is not null) w.WriteString("reason", p.Reason);
                if (p.Deployment is { } id) w.WriteNumber("deployment", id);
                if (p.PipelineRun is { } run) w.WriteString("pipeline_run", run);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
