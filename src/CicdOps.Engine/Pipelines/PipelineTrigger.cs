using System.Text.Json;
using System.Text.Json.Serialization;

namespace CicdOps.Engine.Pipelines;

/// <summary>
/// What a webhook delivery said about the run it queued (kept as JSON in pipeline_runs.context until the run starts):
/// the event, which forge sent it, the ref and commits, the delivery id, and for a pull or merge request its number and
/// branches. All of it is attacker-controlled data: it reaches conditions as JSON and commands as variables only.
/// </summary>
internal sealed record PipelineTrigger
{
    public string Event { get; init; } = PipelineEventNames.Push;
    public string Provider { get; init; } = "";
    public string Ref { get; init; } = "";
    public string Commit { get; init; } = "";
    public string Before { get; init; } = "";
    public string DeliveryId { get; init; } = "";
    public PullRequestContext? PullRequest { get; init; }

    /// <summary>The branch `context.branch` names: a pull request's source branch, a push's branch; null (the project's branch) for a tag.</summary>
    [JsonIgnore]
    public string? Branch =>
        PullRequest?.SourceBranch ?? (Ref.StartsWith("refs/heads/", StringComparison.Ordinal) ? Ref["refs/heads/".Length..] : null);

    /// <summary>Which waiting run a newer one replaces: the same branch's push, the same pull request; tags never.</summary>
    [JsonIgnore]
    public string? SupersedeKey => Event switch
    {
        PipelineEventNames.Push => "push:" + Ref,
        PipelineEventNames.PullRequest when PullRequest is not null => "pr:" + PullRequest.Number,
        _ => null,
    };

    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static PipelineTrigger? FromJson(string? json) => json is null ? null : JsonSerializer.Deserialize<PipelineTrigger>(json, Json);
}
