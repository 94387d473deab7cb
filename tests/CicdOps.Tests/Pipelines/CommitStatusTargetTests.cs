using CicdOps.Engine.Pipelines.Statuses;

namespace CicdOps.Tests.Pipelines;

/// <summary>Where statuses go: derived from the repository URL, from the webhook's provider for a self-hosted host, or the override.</summary>
public sealed class CommitStatusTargetTests
{
    [Theory]
    [InlineData("git@github.com:Acme/Shop.git", null, null, ForgeKind.GitHub, "https://api.github.com", "acme/shop")]
    [InlineData("https://gitlab.com/acme/group/shop.git", null, null, ForgeKind.GitLab, "https://gitlab.com/api/v4", "acme/group/shop")]
    [InlineData("https://codeberg.org/acme/shop", null, null, ForgeKind.Gitea, "https://codeberg.org/api/v1", "acme/shop")]
    [InlineData("ssh://git@git.example.com:2222/acme/shop.git", null, "gitea", ForgeKind.Gitea, "https://git.example.com/api/v1", "acme/shop")]
    [InlineData("https://ghe.example.com/acme/shop.git", null, "github", ForgeKind.GitHub, "https://ghe.example.com/api/v3", "acme/shop")]
    [InlineData("https://git.example.com/acme/shop.git", "https://git.example.com/api/v4", null, ForgeKind.GitLab, "https://git.example.com/api/v4", "acme/shop")]
    [InlineData("https://x:tok@git.example.com/a/b/shop.git", "http://127.0.0.1:8080/api/v3", null, ForgeKind.GitHub, "http://127.0.0.1:8080/api/v3", "b/shop")]
    public void Resolves_the_forge_its_API_and_the_repository_path(string url, string? api, string? provider, ForgeKind kind, string apiBase, string path)
    {
        var t = CommitStatusTarget.Resolve(url, api, provider, out var why);
        Assert.Null(why);
        Assert.Equal(new CommitStatusTarget(kind, apiBase, path), t);
    }

    [Theory]
    [InlineData("https://git.example.com/acme/shop.git", null, "cannot tell which forge git.example.com is")]
    [InlineData("https://bitbucket.org/acme/shop.git", "bitbucket", "Bitbucket commit statuses are not supported")]
    [InlineData("/srv/git/shop.git", null, "a local repository has no forge")]
    public void Says_why_when_it_cannot_tell(string url, string? provider, string reason)
    {
        Assert.Null(CommitStatusTarget.Resolve(url, null, provider, out var why));
        Assert.StartsWith(reason, why);
    }

    [Fact]
    public void Builds_each_forge_s_request()
    {
        var sha = new string('a', 40);
        using var gh = CommitStatusClient.Build(new CommitStatusTarget(ForgeKind.GitHub, "https://api.github.com", "acme/shop"), "T0K", sha, CommitState.Cancelled, "cicdops/shop", "d");
        Assert.Equal($"https://api.github.com/repos/acme/shop/statuses/{sha}", gh.RequestUri!.ToString());
        Assert.Equal("Bearer T0K", gh.Headers.Authorization!.ToString());
        Assert.Contains("\"state\":\"error\"", gh.Content!.ReadAsStringAsync().Result);
        using var gl = CommitStatusClient.Build(new CommitStatusTarget(ForgeKind.GitLab, "https://gitlab.com/api/v4", "acme/group/shop"), "T0K", sha, CommitState.Cancelled, "cicdops/shop", "d");
        Assert.Equal($"https://gitlab.com/api/v4/projects/acme%2Fgroup%2Fshop/statuses/{sha}", gl.RequestUri!.AbsoluteUri);
        Assert.Equal("T0K", gl.Headers.GetValues("PRIVATE-TOKEN").Single());
        Assert.Contains("\"state\":\"canceled\"", gl.Content!.ReadAsStringAsync().Result);
        using var gt = CommitStatusClient.Build(new CommitStatusTarget(ForgeKind.Gitea, "https://codeberg.org/api/v1", "acme/shop"), "T0K", sha, CommitState.Pending, "cicdops/shop", new string('x', 300));
        Assert.Equal("token T0K", gt.Headers.Authorization!.ToString());
        Assert.True(System.Text.Json.Nodes.JsonNode.Parse(gt.Content!.ReadAsStringAsync().Result)!["description"]!.GetValue<string>().Length <= 140);
    }
}
