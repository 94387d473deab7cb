using System.Text.Json;

namespace CicdOps.Engine.Webhooks;

/// <summary>
/// Pull and merge request payloads, in each forge's documented shape. Only the actions that put a new head commit up
/// for review run pipelines: GitHub opened/synchronize/reopened, Gitea and Forgejo opened/synchronized/reopened, GitLab
/// open/reopen and an update that brought commits (oldrev set), Bitbucket pullrequest:created and :updated. Anything
/// else (closed, labeled, a title edit) is a payload with no <see cref="WebhookPayload.PullRequest"/> and the reason.
/// </summary>
internal static class PullRequests
{
    public static WebhookPayload? Parse(WebhookHeaders headers, JsonElement root, IReadOnlyList<string> urls, out string? error)
    {
        error = null;
        string? action, source, target, head;
        int? number;
        switch (headers.Provider)
        {
            case WebhookProvider.GitLab:
            {
                var a = Obj(root, "object_attributes");
                action = Str(a, "action");
                number = Int(a, "iid");
                (source, target) = (Str(a, "source_branch"), Str(a, "target_branch"));
                head = Str(Obj(a, "last_commit"), "id");
                // An update without oldrev changed the title, labels or the like: no new commits to test.
                if (action == "update" && Str(a, "oldrev") is not { Length: > 0 }) return Ignored(urls, "merge request update without new commits");
                if (action is not ("open" or "reopen" or "update")) return Ignored(urls, $"merge request action '{Clean(action)}' runs nothing");
                break;
            }
            case WebhookProvider.Bitbucket:
            {
                var pr = Obj(root, "pullrequest");
                action = headers.Event["pullrequest:".Length..];
                number = Int(pr, "id");
                var src = Obj(pr, "source");
                source = Str(Obj(src, "branch"), "name");
                target = Str(Obj(Obj(pr, "destination"), "branch"), "name");
                head = Str(Obj(src, "commit"), "hash");
                break;
            }
            default: // GitHub, Gitea, Forgejo
            {
                action = Str(root, "action");
                var pr = Obj(root, "pull_request");
                number = Int(root, "number") ?? Int(pr, "number");
                (source, target) = (Str(Obj(pr, "head"), "ref"), Str(Obj(pr, "base"), "ref"));
                head = Str(Obj(pr, "head"), "sha");
                if (action is not ("opened" or "synchronize" or "synchronized" or "reopened"))
                    return Ignored(urls, $"pull request action '{Clean(action)}' runs nothing");
                break;
            }
        }
        if (number is not { } n || n <= 0) { error = "pull request payload has no number"; return null; }
        if (string.IsNullOrEmpty(source) || string.IsNullOrEmpty(target)) { error = "pull request payload has no source or target branch"; return null; }
        var headOk = headers.Provider == WebhookProvider.Bitbucket ? CommitId.IsAbbreviated(head) : CommitId.IsValid(head);
        if (!headOk) { error = "pull request head is not a commit id"; return null; }
        return new WebhookPayload
        {
            RepositoryUrls = urls, Updates = Array.Empty<RefUpdate>(),
            PullRequest = new PullRequestEvent(n, source, target, head!.ToLowerInvariant(), action ?? ""),
        };
    }

    private static WebhookPayload Ignored(IReadOnlyList<string> urls, string why) =>
        new() { RepositoryUrls = urls, Updates = Array.Empty<RefUpdate>(), PullRequestIgnored = why };

    private static JsonElement Obj(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? v : default;

    private static string? Str(JsonElement obj, string name) => WebhookPayloadParser.Str(obj, name);

    private static int? Int(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : null;

    // Only safe characters of an action name go back in a reply.
    private static string Clean(string? s) => s is null ? "" : new string(s.Where(char.IsAsciiLetterOrDigit).Take(40).ToArray());
}
