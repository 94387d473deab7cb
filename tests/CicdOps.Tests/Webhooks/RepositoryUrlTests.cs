using CicdOps.Engine.Webhooks;
using Xunit;

namespace CicdOps.Tests.Webhooks;

public class RepositoryUrlTests
{
    [Theory]
    [InlineData("git@github.com:Org/App.git", "https://github.com/org/app")]
    [InlineData("https://github.com/Org/App.git", "https://github.com/org/app/")]
    [InlineData("ssh://git@github.com/Org/App.git", "http://github.com/org/app")]
    [InlineData("ssh://git@github.com:22/Org/App", "git://github.com/Org/App.git")]
    [InlineData("https://user:token@GitHub.com:443/Org/App.git/", "https://github.com/Org/App")]
    [InlineData("git@gitlab.com:Group/Sub/App.git", "https://gitlab.com/group/sub/app")]
    [InlineData("git@bitbucket.org:Team/App.git", "https://bitbucket.org/team/app")]
    [InlineData("http://git.example.com:3000/ops/app.git", "http://git.example.com:3000/ops/app")]
    [InlineData("file:///srv/git/app.git", "/srv/git/app")]
    [InlineData("/srv/git/app.git/", "file:///srv/git/app")]
    [InlineData("git@git.example.com:ops/app.git", "ssh://git@git.example.com/ops/app")]
    public void SameRepository(string a, string b)
    {
        Assert.True(RepositoryUrl.SameRepository(a, b), $"{RepositoryUrl.Normalize(a)} vs {RepositoryUrl.Normalize(b)}");
    }

    [Theory]
    [InlineData("https://github.com/org/app", "https://github.com/org/app2")]
    [InlineData("https://github.com/org/app", "https://gitlab.com/org/app")]
    [InlineData("https://git.example.com/Ops/App", "https://git.example.com/ops/app")] // self-hosted: path case kept
    [InlineData("https://git.example.com:8443/ops/app", "https://git.example.com/ops/app")]
    [InlineData("/srv/git/app", "/srv/git/App")]
    [InlineData("https://github.com/org/app", "")]
    public void DifferentRepositories(string a, string b) => Assert.False(RepositoryUrl.SameRepository(a, b));

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("not a url")]
    [InlineData("ftp://example.com/app")]
    [InlineData("https://github.com/")]
    [InlineData("git@github.com:")]
    public void RejectsNonRepositories(string url) => Assert.Null(RepositoryUrl.Normalize(url));

    [Fact]
    public void KeyHasNoCredentials() =>
        Assert.DoesNotContain("token", RepositoryUrl.Normalize("https://user:token@github.com/org/app")!);
}
