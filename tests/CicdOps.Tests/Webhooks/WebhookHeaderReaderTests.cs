using CicdOps.Engine.Webhooks;
using Xunit;

namespace CicdOps.Tests.Webhooks;

public class WebhookHeaderReaderTests
{
    private static WebhookHeaders? Read(Dictionary<string, string> h, out string? error) =>
        WebhookHeaderReader.Read(n => h.TryGetValue(n, out var v) ? v : null, out error);

    [Fact]
    public void GiteaIsNotMistakenForGitHub()
    {
        var h = Read(Payloads.GiteaHeaders("{}", "k"u8.ToArray(), delivery: "d1"), out _)!;
        Assert.Equal((WebhookProvider.Gitea, "push", "d1"), (h.Provider, h.Event, h.DeliveryId));
        Assert.Equal(Payloads.Hmac("{}", "k"u8.ToArray()), h.Signature);
    }

    [Fact]
    public void ForgejoIsNotMistakenForGitea()
    {
        var h = Read(Payloads.GiteaHeaders("{}", "k"u8.ToArray(), forgejo: true, delivery: "d2"), out _)!;
        Assert.Equal((WebhookProvider.Forgejo, "d2"), (h.Provider, h.DeliveryId));
    }

    [Fact]
    public void EachProviderHasItsDeliveryIdAndSignature()
    {
        var gh = Read(Payloads.GitHubHeaders("{}", "k"u8.ToArray(), delivery: "g"), out _)!;
        Assert.Equal((WebhookProvider.GitHub, "g", true), (gh.Provider, gh.DeliveryId, gh.Signature!.StartsWith("sha256=")));
        var gl = Read(Payloads.GitLabHeaders("tok", delivery: "l"), out _)!;
        Assert.Equal((WebhookProvider.GitLab, "l", "tok", true), (gl.Provider, gl.DeliveryId, gl.Signature, gl.IsPush));
        var bb = Read(Payloads.BitbucketHeaders("{}", "k"u8.ToArray(), delivery: "b"), out _)!;
        Assert.Equal((WebhookProvider.Bitbucket, "b", true), (bb.Provider, bb.DeliveryId, bb.IsPush));
        Assert.True(Read(Payloads.GitLabHeaders("t", "Tag Push Hook"), out _)!.IsPush);
        Assert.True(Read(Payloads.GitHubHeaders("{}", null, "ping"), out _)!.IsPing);
    }

    [Fact]
    public void UnknownProviderGivesOneLine()
    {
        Assert.Null(Read(new() { ["User-Agent"] = "curl/8" }, out var error));
        Assert.StartsWith("unknown provider", error);
    }

    [Fact]
    public void HostileDeliveryIdIsRefused()
    {
        Assert.Null(Read(new() { ["X-GitHub-Event"] = "push", ["X-GitHub-Delivery"] = "a\u0001b" }, out var e1));
        Assert.Equal("invalid delivery id header", e1);
        Assert.Null(Read(new() { ["X-GitHub-Event"] = "push", ["X-GitHub-Delivery"] = new string('x', 201) }, out _));
    }
}
