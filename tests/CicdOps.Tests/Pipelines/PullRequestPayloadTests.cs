using System.Text;
using CicdOps.Engine.Webhooks;

namespace CicdOps.Tests.Pipelines;

/// <summary>Pull and merge request payloads of each forge, parsed (after the listener verified them).</summary>
public sealed class PullRequestPayloadTests
{
    private static readonly string Head = new('b', 40);

    private static WebhookPayload? Parse(WebhookProvider provider, string eventName, string json, out string? error) =>
        WebhookPayloadParser.Parse(new WebhookHeaders { Provider = provider, Event = eventName }, "application/json", Encoding.UTF8.GetBytes(json), out error);

    [Theory]
    [InlineData("synchronize")]
    [InlineData("opened")]
    [InlineData("reopened")]
    public void GitHub_actions_that_bring_a_head_commit_run(string action)
    {
        var p = Parse(WebhookProvider.GitHub, "pull_request", $$$"""
            {"action":"{{{action}}}","number":12,"pull_request":{"head":{"ref":"fix/x","sha":"{{{Head}}}"},"base":{"ref":"main"}},
             "repository":{"clone_url":"https://github.com/acme/shop.git"}}
            """, out var error);
        Assert.Null(error);
        Assert.Equal(new PullRequestEvent(12, "fix/x", "main", Head, action), p!.PullRequest);
        Assert.Contains("github.com/acme/shop", p.RepositoryKeys);
    }

    [Theory]
    [InlineData(WebhookProvider.GitHub, "pull_request", """{"action":"closed","number":1,"repository":{"clone_url":"https://github.com/a/b"}}""")]
    [InlineData(WebhookProvider.GitHub, "pull_request", """{"action":"labeled","number":1,"repository":{"clone_url":"https://github.com/a/b"}}""")]
    [InlineData(WebhookProvider.Gitea, "pull_request", """{"action":"closed","number":1,"repository":{"clone_url":"https://g.example/a/b"}}""")]
    [InlineData(WebhookProvider.GitLab, "Merge Request Hook", """{"project":{"git_http_url":"https://gitlab.com/a/b.git"},"object_attributes":{"iid":1,"action":"merge"}}""")]
    public void Other_actions_run_nothing_and_say_why(WebhookProvider provider, string eventName, string json)
    {
        var p = Parse(provider, eventName, json, out var error);
        Assert.Null(error);
        Assert.Null(p!.PullRequest);
        Assert.Contains("runs nothing", p.PullRequestIgnored);
    }

    [Fact]
    public void GitLab_merge_request_and_Bitbucket_pull_request_with_its_abbreviated_head()
    {
        var gl = Parse(WebhookProvider.GitLab, "Merge Request Hook", """
            {"project":{"git_http_url":"https://gitlab.com/a/b.git"},"object_attributes":{"iid":4,"action":"open","source_branch":"f","target_branch":"main","last_commit":{"id":"HEAD"}}}
            """.Replace("HEAD", Head), out var e1);
        Assert.Null(e1);
        Assert.Equal(new PullRequestEvent(4, "f", "main", Head, "open"), gl!.PullRequest);
        var bb = Parse(WebhookProvider.Bitbucket, "pullrequest:created", """
            {"pullrequest":{"id":9,"source":{"branch":{"name":"f"},"commit":{"hash":"0123456789ab"}},"destination":{"branch":{"name":"main"}}},
             "repository":{"links":{"html":{"href":"https://bitbucket.org/a/b"}}}}
            """, out var e2);
        Assert.Null(e2);
        Assert.Equal(new PullRequestEvent(9, "f", "main", "0123456789ab", "created"), bb!.PullRequest);
    }

    [Theory]
    [InlineData("""{"action":"opened","number":1,"pull_request":{"head":{"ref":"f","sha":"$(id)"},"base":{"ref":"main"}},"repository":{"clone_url":"https://github.com/a/b"}}""", "pull request head is not a commit id")]
    [InlineData("""{"action":"opened","pull_request":{"head":{"ref":"f","sha":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"},"base":{"ref":"main"}},"repository":{"clone_url":"https://github.com/a/b"}}""", "pull request payload has no number")]
    [InlineData("""{"action":"opened","number":1,"pull_request":{"head":{"sha":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"},"base":{"ref":"main"}},"repository":{"clone_url":"https://github.com/a/b"}}""", "pull request payload has no source or target branch")]
    [InlineData("""{"action":"opened","number":1}""", "payload names no repository")]
    public void A_malformed_pull_request_is_a_one_line_error(string json, string expected)
    {
        Assert.Null(Parse(WebhookProvider.GitHub, "pull_request", json, out var error));
        Assert.Equal(expected, error);
    }
}
