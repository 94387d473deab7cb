using System.Text.Json;
using System.Text.Json.Nodes;

namespace CicdOps.Engine.Pipelines;

/// <summary>The pull or merge request a run is for.</summary>
public sealed record PullRequestContext(int Number, string SourceBranch, string TargetBranch);

/// <summary>
/// What a run is for: `context` in conditions and templates. Every value may come from a webhook payload, so every
/// value is attacker-controlled data — it is handed to JavaScript as JSON and to commands as environment variables,
/// never as code.
/// </summary>
public sealed record PipelineContext
{
    public string Event { get; init; } = "push";
    public string Provider { get; init; } = "";
    public string Repository { get; init; } = "";
    public string Branch { get; init; } = "";
    public string Ref { get; init; } = "";
    public string Commit { get; init; } = "";
    public string Before { get; init; } = "";
    public string Author { get; init; } = "";
    public string Message { get; init; } = "";
    public string DeliveryId { get; init; } = "";
    public string Project { get; init; } = "";
    public string RunId { get; init; } = "";
    public PullRequestContext? PullRequest { get; init; }

    /// <summary>
    /// The JSON object conditions see as `context`. `branchName` repeats `branch` because SimpleCI's runner calls it
    /// that; `pullRequest` is null unless the event is a pull request.
    /// </summary>
    public JsonObject ToJson() => new()
    {
        ["event"] = Event,
        ["provider"] = Provider,
        ["repository"] = Repository,
        ["branch"] = Branch,
        ["branchName"] = Branch,
        ["ref"] = Ref,
        ["commit"] = Commit,
        ["before"] = Before,
        ["author"] = Author,
        ["message"] = Message,
        ["deliveryId"] = DeliveryId,
        ["project"] = Project,
        ["runId"] = RunId,
        ["pullRequest"] = PullRequest is null ? null : new JsonObject
        {
            ["number"] = PullRequest.Number,
            ["sourceBranch"] = PullRequest.SourceBranch,
            ["targetBranch"] = PullRequest.TargetBranch,
        },
    };

    /// <summary>A context with every field set, for checking templates and conditions before any run.</summary>
    internal static PipelineContext Sample { get; } = new()
    {
        Event = "push", Provider = "github", Repository = "owner/repo", Branch = "main", Ref = "refs/heads/main",
        Commit = new string('0', 40), Before = new string('0', 40), Author = "author", Message = "message",
        DeliveryId = "delivery", Project = "project", RunId = "run",
        PullRequest = new PullRequestContext(1, "feature", "main"),
    };

    internal static JsonObject EnvToJson(IReadOnlyDictionary<string, string> env)
    {
        var o = new JsonObject();
        foreach (var (k, v) in env) o[k] = v;
        return o;
    }

    internal static string Serialize(JsonNode node) => node.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
}
