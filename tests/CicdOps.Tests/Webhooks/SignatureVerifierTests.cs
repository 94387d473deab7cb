using System.Text;
using CicdOps.Engine.Webhooks;
using Xunit;

namespace CicdOps.Tests.Webhooks;

public class SignatureVerifierTests
{
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("It's a Secret to Everybody");
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("Hello, World!");
    private const string Documented = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    [Fact]
    public void GitHubDocumentedVectorVerifies()
    {
        Assert.Equal(Documented, SignatureVerifier.GitHubSignature(Body, Secret));
        Assert.Equal(SignatureResult.Valid, SignatureVerifier.Verify(WebhookProvider.GitHub, Documented, Body, Secret));
        Assert.Equal(SignatureResult.Valid, SignatureVerifier.Verify(WebhookProvider.GitHub, Documented.ToUpperInvariant().Replace("SHA256=", "sha256="), Body, Secret));
    }

    [Theory]
    [InlineData("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e16")] // one bit off
    [InlineData("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e")]   // truncated
    [InlineData("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1700")] // padded
    [InlineData("sha256=zz7107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")] // not hex
    [InlineData("757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")]        // no prefix
    [InlineData("sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59")]                          // legacy SHA-1 refused
    [InlineData("sha256=")]
    public void BadGitHubSignaturesAreInvalid(string signature) =>
        Assert.Equal(SignatureResult.Invalid, SignatureVerifier.Verify(WebhookProvider.GitHub, signature, Body, Secret));

    [Fact]
    public void MissingAndUnconfiguredAreDistinguished()
    {
        Assert.Equal(SignatureResult.Missing, SignatureVerifier.Verify(WebhookProvider.GitHub, null, Body, Secret));
        Assert.Equal(SignatureResult.Unsigned, SignatureVerifier.Verify(WebhookProvider.GitHub, Documented, Body, null));
    }

    [Fact]
    public void WrongBodyFails() =>
        Assert.Equal(SignatureResult.Invalid, SignatureVerifier.Verify(WebhookProvider.GitHub, Documented, Encoding.UTF8.GetBytes("Hello, World?"), Secret));

    [Theory]
    [InlineData(WebhookProvider.Gitea)]
    [InlineData(WebhookProvider.Forgejo)]
    public void GiteaAndForgejoUseBareHex(WebhookProvider provider)
    {
        Assert.Equal(SignatureResult.Valid, SignatureVerifier.Verify(provider, Documented[7..], Body, Secret));
        Assert.Equal(SignatureResult.Invalid, SignatureVerifier.Verify(provider, Documented, Body, Secret));
    }

    [Fact]
    public void BitbucketDispatchesOnPrefix()
    {
        Assert.Equal(SignatureResult.Valid, SignatureVerifier.Verify(WebhookProvider.Bitbucket, Documented, Body, Secret));
        Assert.Equal(SignatureResult.Invalid, SignatureVerifier.Verify(WebhookProvider.Bitbucket, "sha1=" + Documented[7..47], Body, Secret));
    }

    [Fact]
    public void GitLabComparesTheToken()
    {
        Assert.Equal(SignatureResult.Valid, SignatureVerifier.Verify(WebhookProvider.GitLab, "It's a Secret to Everybody", Body, Secret));
        Assert.Equal(SignatureResult.Invalid, SignatureVerifier.Verify(WebhookProvider.GitLab, "It's a Secret to Everybod", Body, Secret));
        Assert.Equal(SignatureResult.Invalid, SignatureVerifier.Verify(WebhookProvider.GitLab, Documented, Body, Secret));
    }
}
