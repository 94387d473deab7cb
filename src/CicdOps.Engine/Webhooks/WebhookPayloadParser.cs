using System.Net;
using System.Text;
using System.Text.Json;

namespace CicdOps.Engine.Webhooks;

/// <summary>
/// Parses a delivery body in its provider's documented shape. Never throws on hostile input: returns null
/// with a one-line reason (safe to send back: it only names fields, never echoes values).
/// </summary>
public static class WebhookPayloadParser
{
    public static WebhookPayload? Parse(WebhookHeaders headers, string? contentType, ReadOnlyMemory<byte> body, out string? error)
    {
        error = null;
        // Strict: JSON parsing alone lets invalid UTF-8 through inside strings it is never asked for.
        if (!System.Text.Unicode.Utf8.IsValid(body.Span)) { error = "body is not valid UTF-8"; return null; }
        ReadOnlyMemory<byte> json = body;
        if (contentType is not null && contentType.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            // GitHub (and Gitea) "form" content type: payload=<url-encoded JSON>; the signature covers the raw form.
            var payload = FormField(Encoding.UTF8.GetString(body.Span), "payload");
            if (payload is null) { error = "form body has no payload field"; return null; }
            // Percent-escapes that decode to invalid UTF-8 come back as U+FFFD.
            if (payload.Contains('\uFFFD')) { error = "form payload is not valid UTF-8"; return null; }
            json = Encoding.UTF8.GetBytes(payload);
        }

        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 }); }
        catch (JsonException) { error = "body is not valid JSON"; return null; }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) { error = "body is not a JSON object"; return null; }
            var urls = RepositoryUrls(headers.Provider, root);
            if (headers.IsPullRequest)
            {
                if (urls.Count == 0) { error = "payload names no repository"; return null; }
                return PullRequests.Parse(headers, root, urls, out error);
            }
            if (!headers.IsPush) return new WebhookPayload { RepositoryUrls = urls, Updates = Array.Empty<RefUpdate>() };
            if (urls.Count == 0) { error = "payload names no repository"; return null; }

            var updates = headers.Provider == WebhookProvider.Bitbucket
                ? BitbucketUpdates(root, out error)
                : SingleUpdate(root, out error);
            return updates is null ? null : new WebhookPayload { RepositoryUrls = urls, Updates = updates };
        }
    }

    // GitHub, GitLab, Gitea and Forgejo: top-level ref / after (GitHub also says deleted=true).
    private static IReadOnlyList<RefUpdate>? SingleUpdate(JsonElement root, out string? error)
    {
        error = null;
        var @ref = Str(root, "ref");
        var after = Str(root, "after");
        if (string.IsNullOrEmpty(@ref)) { error = "payload has no 'ref'"; return null; }
        if (string.IsNullOrEmpty(after)) { error = "payload has no 'after'"; return null; }
        var deleted = (root.TryGetProperty("deleted", out var d) && d.ValueKind == JsonValueKind.True) || CommitId.IsZero(after);
        if (!deleted && !CommitId.IsValid(after)) { error = "payload 'after' is not a commit id"; return null; }
        var before = Str(root, "before");
        return new[] { new RefUpdate(@ref, deleted ? null : after.ToLowerInvariant(), deleted) { Before = CommitId.IsValid(before) ? before!.ToLowerInvariant() : null } };
    }

    // Bitbucket Cloud repo:push: push.changes[] with new/old {type, name, target.hash}; new is null on deletion.
    private static IReadOnlyList<RefUpdate>? BitbucketUpdates(JsonElement root, out string? error)
    {
        error = null;
        if (!root.TryGetProperty("push", out var push) || push.ValueKind != JsonValueKind.Object ||
            !push.TryGetProperty("changes", out var changes) || changes.ValueKind != JsonValueKind.Array)
        {
            error = "payload has no 'push.changes'";
            return null;
        }
        var list = new List<RefUpdate>();
        foreach (var change in changes.EnumerateArray())
        {
            if (change.ValueKind != JsonValueKind.Object) continue;
            var @new = change.TryGetProperty("new", out var n) && n.ValueKind == JsonValueKind.Object ? n : (JsonElement?)null;
            var old = change.TryGetProperty("old", out var o) && o.ValueKind == JsonValueKind.Object ? o : (JsonElement?)null;
            var side = @new ?? old;
            if (side is null) continue;
            var name = Str(side.Value, "name");
            var type = Str(side.Value, "type");
            if (string.IsNullOrEmpty(name)) { error = "push change has no 'name'"; return null; }
            var @ref = type switch { "branch" or "named_branch" => RefUpdate.BranchPrefix + name, "tag" or "annotated_tag" => "refs/tags/" + name, _ => "refs/" + type + "/" + name };
            if (@new is null) { list.Add(new RefUpdate(@ref, null, true)); continue; }
            var hash = @new.Value.TryGetProperty("target", out var t) && t.ValueKind == JsonValueKind.Object ? Str(t, "hash") : null;
            if (!CommitId.IsValid(hash)) { error = "push change 'new.target.hash' is not a commit id"; return null; }
            var oldHash = old is { } was && was.TryGetProperty("target", out var ot) && ot.ValueKind == JsonValueKind.Object ? Str(ot, "hash") : null;
            list.Add(new RefUpdate(@ref, hash!.ToLowerInvariant(), false) { Before = CommitId.IsValid(oldHash) ? oldHash!.ToLowerInvariant() : null });
        }
        if (list.Count == 0) { error = "payload 'push.changes' is empty"; return null; }
        return list;
    }

    private static IReadOnlyList<string> RepositoryUrls(WebhookProvider provider, JsonElement root)
    {
        var urls = new List<string>();
        void Add(JsonElement parent, params string[] names)
        {
            if (parent.ValueKind != JsonValueKind.Object) return;
            foreach (var name in names)
                if (Str(parent, name) is { Length: > 0 } v && !urls.Contains(v)) urls.Add(v);
        }
        var repo = root.TryGetProperty("repository", out var r) ? r : default;
        switch (provider)
        {
            case WebhookProvider.GitLab:
                if (root.TryGetProperty("project", out var p)) Add(p, "git_http_url", "git_ssh_url", "web_url", "http_url", "ssh_url");
                Add(repo, "git_http_url", "git_ssh_url", "url", "homepage");
                break;
            case WebhookProvider.Bitbucket:
                if (repo.ValueKind == JsonValueKind.Object)
                {
                    if (repo.TryGetProperty("links", out var links) && links.ValueKind == JsonValueKind.Object &&
                        links.TryGetProperty("html", out var html)) Add(html, "href");
                    if (Str(repo, "full_name") is { Length: > 0 } full && !full.Contains("..") && !urls.Contains("https://bitbucket.org/" + full))
                        urls.Add("https://bitbucket.org/" + full);
                }
                break;
            default: // GitHub, Gitea, Forgejo
                Add(repo, "clone_url", "ssh_url", "html_url", "git_url");
                break;
        }
        return urls;
    }

    internal static string? Str(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string? FormField(string form, string name)
    {
        foreach (var pair in form.Split('&'))
        {
            var eq = pair.IndexOf('=');
            if (eq < 0) continue;
            if (WebUtility.UrlDecode(pair[..eq]) == name) return WebUtility.UrlDecode(pair[(eq + 1)..]);
        }
        return null;
    }
}
