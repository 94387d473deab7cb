using System.Net;
using System.Text;
using CicdOps.Engine.Webhooks;
using Xunit;

namespace CicdOps.Tests.Webhooks;

public class WebhookPayloadParserTests
{
    private static WebhookHeaders H(WebhookProvider p, string evt) => new() { Provider = p, Event = evt };

    private static WebhookPayload? Parse(WebhookProvider p, string evt, string body, out string? error, string contentType = "application/json") =>
        WebhookPayloadParser.Parse(H(p, evt), contentType, Encoding.UTF8.GetBytes(body), out error);

    [Fact]
    public void GitHubPushGivesEveryRepositoryUrlAndTheCommit()
    {
        var p = Parse(WebhookProvider.GitHub, "push", Payloads.GitHubPush(), out var error);
        Assert.Null(error);
        Assert.Equal(new[] { "https://github.com/Org/App.git", "git@github.com:Org/App.git", "https://github.com/Org/App", "git://github.com/Org/App.git" }, p!.RepositoryUrls);
        Assert.Equal(new[] { "github.com/org/app" }, p.RepositoryKeys);
        var u = Assert.Single(p.Updates);
        Assert.Equal(("refs/heads/main", Payloads.Sha, false, "main"), (u.Ref, u.After, u.Deleted, u.Branch));
    }

    [Fact]
    public void GitHubFormEncodedPayloadIsDecoded()
    {
        var form = "payload=" + WebUtility.UrlEncode(Payloads.GitHubPush());
        var p = Parse(WebhookProvider.GitHub, "push", form, out var error, "application/x-www-form-urlencoded");
        Assert.Null(error);
        Assert.Equal(Payloads.Sha, p!.Updates[0].After);
    }

    [Fact]
    public void DeletionIsRecognisedByFlagOrZeroSha()
    {
        Assert.True(Parse(WebhookProvider.GitHub, "push", Payloads.GitHubPush(after: Payloads.Zero, deleted: true), out _)!.Updates[0].Deleted);
        Assert.True(Parse(WebhookProvider.GitLab, "Push Hook", Payloads.GitLabPush(after: Payloads.Zero), out _)!.Updates[0].Deleted);
        Assert.True(Parse(WebhookProvider.Bitbucket, "repo:push", Payloads.BitbucketPush(hash: null), out _)!.Updates[0].Deleted);
    }

    [Fact]
    public void GitLabPushUsesProjectAndRepositoryUrls()
    {
        var p = Parse(WebhookProvider.GitLab, "Push Hook", Payloads.GitLabPush(), out var error)!;
        Assert.Null(error);
        Assert.Contains("git@gitlab.example.com:group/sub/app.git", p.RepositoryUrls);
        Assert.Equal(new[] { "gitlab.example.com/group/sub/app" }, p.RepositoryKeys);
    }

    [Fact]
    public void BitbucketPushUsesChangesAndFullName()
    {
        var p = Parse(WebhookProvider.Bitbucket, "repo:push", Payloads.BitbucketPush("Team/App", "release"), out var error)!;
        Assert.Null(error);
        Assert.Equal(new[] { "bitbucket.org/team/app" }, p.RepositoryKeys);
        Assert.Equal(("refs/heads/release", Payloads.Sha), (p.Updates[0].Ref, p.Updates[0].After));
        Assert.Equal("refs/tags/v1", Parse(WebhookProvider.Bitbucket, "repo:push", Payloads.BitbucketPush(branch: "v1", type: "tag"), out _)!.Updates[0].Ref);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[1,2,3]")]
    [InlineData("\"string\"")]
    [InlineData("{}")]
    [InlineData("{\"ref\":\"refs/heads/main\",\"repository\":{\"clone_url\":\"https://github.com/o/r.git\"}}")]
    [InlineData("{\"after\":\"6113728f27ae82c7b1a177c8d03f9e96e0adf246\",\"repository\":{\"clone_url\":\"https://github.com/o/r.git\"}}")]
    [InlineData("{\"ref\":\"refs/heads/main\",\"after\":\"6113728f27ae82c7b1a177c8d03f9e96e0adf246\"}")]
    [InlineData("{\"ref\":\"refs/heads/main\",\"after\":\"main\",\"repository\":{\"clone_url\":\"https://github.com/o/r.git\"}}")]
    [InlineData("{\"ref\":\"refs/heads/main\",\"after\":\"--upload-pack=touch /tmp/x\",\"repository\":{\"clone_url\":\"https://github.com/o/r.git\"}}")]
    [InlineData("{\"ref\":\"refs/heads/main\",\"after\":\"6113728f\",\"repository\":{\"clone_url\":\"https://github.com/o/r.git\"}}")]
    [InlineData("{\"ref\":42,\"after\":\"6113728f27ae82c7b1a177c8d03f9e96e0adf246\",\"repository\":{\"clone_url\":\"https://github.com/o/r.git\"}}")]
    public void BadGitHubPushesGiveAReason(string body)
    {
        Assert.Null(Parse(WebhookProvider.GitHub, "push", body, out var error));
        Assert.False(string.IsNullOrWhiteSpace(error));
        Assert.DoesNotContain('\n', error);
    }

    [Fact]
    public void FormWithoutPayloadIsRejected()
    {
        Assert.Null(Parse(WebhookProvider.GitHub, "push", "foo=bar", out var error, "application/x-www-form-urlencoded"));
        Assert.Equal("form body has no payload field", error);
    }

    [Fact]
    public void Sha256CommitIdsAreAccepted()
    {
        var sha256 = new string('a', 64);
        Assert.Equal(sha256, Parse(WebhookProvider.GitHub, "push", Payloads.GitHubPush(after: sha256), out _)!.Updates[0].After);
    }

    [Fact]
    public void NonPushEventsNeedOnlyAnObject()
    {
        var p = Parse(WebhookProvider.GitHub, "ping", Payloads.GitHubPing(), out var error)!;
        Assert.Null(error);
        Assert.Empty(p.Updates);
        Assert.Equal(new[] { "github.com/org/app" }, p.RepositoryKeys);
    }
}
