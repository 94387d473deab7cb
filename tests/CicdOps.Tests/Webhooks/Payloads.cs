using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace CicdOps.Tests.Webhooks;

/// <summary>Push payloads and headers in each provider's documented shape (trimmed to realistic essentials).</summary>
internal static class Payloads
{
    public const string Sha = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";
    public const string Before = "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c";
    public const string Zero = "0000000000000000000000000000000000000000";
    // Commit messages are data: nothing in them may be run or trusted.
    private const string HostileMessage = "Fix \"quoting\"; $(reboot) `rm -rf /` \n\r webhook status=500";

    private static string Json(object o) => JsonSerializer.Serialize(o);

    public static string GitHubPush(string owner = "Org", string repo = "App", string @ref = "refs/heads/main", string after = Sha, bool deleted = false,
        string host = "github.com") => Json(new
    {
        @ref,
        before = Before,
        after,
        created = false,
        deleted,
        forced = false,
        base_ref = (string?)null,
        compare = $"https://{host}/{owner}/{repo}/compare/{Before[..12]}...{after[..12]}",
        commits = deleted ? Array.Empty<object>() : new object[] { new { id = after, message = HostileMessage, author = new { name = "Mona", email = "mona@example.com" } } },
        head_commit = deleted ? null : new { id = after, message = HostileMessage },
        repository = new
        {
            id = 1296269, name = repo, full_name = $"{owner}/{repo}", @private = false,
            html_url = $"https://{host}/{owner}/{repo}", clone_url = $"https://{host}/{owner}/{repo}.git",
            ssh_url = $"git@{host}:{owner}/{repo}.git", git_url = $"git://{host}/{owner}/{repo}.git", default_branch = "main",
        },
        pusher = new { name = "mona", email = "mona@example.com" },
        sender = new { login = "mona", id = 1 },
    });

    public static string GitHubPing(string owner = "Org", string repo = "App") => Json(new
    {
        zen = "Keep it logically awesome.",
        hook_id = 42,
        hook = new { type = "Repository", id = 42, events = new[] { "push" } },
        repository = new { name = repo, full_name = $"{owner}/{repo}", html_url = $"https://github.com/{owner}/{repo}", clone_url = $"https://github.com/{owner}/{repo}.git" },
    });

    public static Dictionary<string, string> GitHubHeaders(string body, byte[]? secret, string evt = "push", string? delivery = null) =>
        WithSignature(new Dictionary<string, string>
        {
            ["X-GitHub-Event"] = evt,
            ["X-GitHub-Delivery"] = delivery ?? Guid.NewGuid().ToString(),
            ["User-Agent"] = "GitHub-Hookshot/044aadd",
        }, "X-Hub-Signature-256", secret is null ? null : "sha256=" + Hmac(body, secret));

    public static string GitLabPush(string path = "group/sub/app", string @ref = "refs/heads/main", string after = Sha, string host = "gitlab.example.com") => Json(new
    {
        object_kind = @ref.StartsWith("refs/tags/") ? "tag_push" : "push",
        event_name = @ref.StartsWith("refs/tags/") ? "tag_push" : "push",
        before = Before,
        after,
        @ref,
        checkout_sha = after == Zero ? null : after,
        user_username = "jsmith",
        project_id = 15,
        project = new
        {
            id = 15, name = "app", path_with_namespace = path, default_branch = "main",
            web_url = $"https://{host}/{path}", git_ssh_url = $"git@{host}:{path}.git", git_http_url = $"https://{host}/{path}.git",
        },
        repository = new { name = "app", url = $"git@{host}:{path}.git", homepage = $"https://{host}/{path}", git_http_url = $"https://{host}/{path}.git", git_ssh_url = $"git@{host}:{path}.git" },
        commits = new object[] { new { id = after, message = HostileMessage, url = $"https://{host}/{path}/-/commit/{after}" } },
        total_commits_count = 1,
    });

    public static Dictionary<string, string> GitLabHeaders(string? token, string evt = "Push Hook", string? delivery = null)
    {
        var h = new Dictionary<string, string> { ["X-Gitlab-Event"] = evt, ["X-Gitlab-Event-UUID"] = delivery ?? Guid.NewGuid().ToString(), ["User-Agent"] = "GitLab/17.5.0" };
        if (token is not null) h["X-Gitlab-Token"] = token;
        return h;
    }

    public static string GiteaPush(string owner = "ops", string repo = "app", string host = "git.example.com:3000", string @ref = "refs/heads/main", string after = Sha) => Json(new
    {
        @ref,
        before = Before,
        after,
        compare_url = $"http://{host}/{owner}/{repo}/compare/{Before}...{after}",
        commits = new object[] { new { id = after, message = HostileMessage } },
        repository = new
        {
            id = 1, name = repo, full_name = $"{owner}/{repo}", @private = true,
            html_url = $"http://{host}/{owner}/{repo}", clone_url = $"http://{host}/{owner}/{repo}.git",
            ssh_url = $"ssh://git@{host.Split(':')[0]}:2222/{owner}/{repo}.git",
        },
        pusher = new { login = "ops" },
        sender = new { login = "ops" },
    });

    /// <summary>Gitea sends its own headers plus GitHub/Gogs look-alikes; Forgejo adds X-Forgejo-* on top.</summary>
    public static Dictionary<string, string> GiteaHeaders(string body, byte[]? secret, bool forgejo = false, string? delivery = null)
    {
        var id = delivery ?? Guid.NewGuid().ToString();
        var sig = secret is null ? null : Hmac(body, secret);
        var h = new Dictionary<string, string>
        {
            ["X-Gitea-Event"] = "push", ["X-Gitea-Event-Type"] = "push", ["X-Gitea-Delivery"] = id,
            ["X-Gogs-Event"] = "push", ["X-GitHub-Event"] = "push", ["X-GitHub-Delivery"] = id,
        };
        if (sig is not null) { h["X-Gitea-Signature"] = sig; h["X-Gogs-Signature"] = sig; }
        if (forgejo)
        {
            h["X-Forgejo-Event"] = "push"; h["X-Forgejo-Delivery"] = id;
            if (sig is not null) h["X-Forgejo-Signature"] = sig;
        }
        return h;
    }

    public static string BitbucketPush(string fullName = "team/app", string branch = "main", string? hash = Sha, string type = "branch") => Json(new
    {
        push = new
        {
            changes = new object[]
            {
                new
                {
                    @new = hash is null ? null : new { type, name = branch, target = new { type = "commit", hash, message = HostileMessage } },
                    old = new { type, name = branch, target = new { type = "commit", hash = Before } },
                    created = false, closed = hash is null, forced = false,
                },
            },
        },
        repository = new
        {
            type = "repository", name = fullName.Split('/')[1], full_name = fullName, uuid = "{" + Guid.NewGuid() + "}",
            links = new { html = new { href = $"https://bitbucket.org/{fullName}" } },
        },
        actor = new { display_name = "Ops", type = "user" },
    });

    public static Dictionary<string, string> BitbucketHeaders(string body, byte[]? secret, string? delivery = null) =>
        WithSignature(new Dictionary<string, string>
        {
            ["X-Event-Key"] = "repo:push", ["X-Request-UUID"] = delivery ?? Guid.NewGuid().ToString(),
            ["X-Hook-UUID"] = "9c4ba4d5-1b0b-4c5a-9f63-2b5f0c0e9b1a", ["X-Attempt-Number"] = "1", ["User-Agent"] = "Bitbucket-Webhooks/2.0",
        }, "X-Hub-Signature", secret is null ? null : "sha256=" + Hmac(body, secret));

    public static string Hmac(string body, byte[] secret) => Convert.ToHexString(HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes(body))).ToLowerInvariant();

    private static Dictionary<string, string> WithSignature(Dictionary<string, string> h, string name, string? value)
    {
        if (value is not null) h[name] = value;
        return h;
    }
}
