using System.Text.Json;
using CicdOps.Engine;
using CicdOps.Engine.Model;
using CicdOps.Engine.Validation;
using CicdOps.Tests.Cli;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Validation;

/// <summary>Credentials inside a repository URL are used by git and never shown: lists, JSON, errors, logs.</summary>
[Collection("cli")]
public sealed class RepositoryCredentialTests
{
    private const string Token = "tok3n-s3cr3t-9f8e";

    [Theory]
    [InlineData("https://alice:tok3n@github.com/org/app.git", "https://***@github.com/org/app.git")]
    [InlineData("https://tok3n@github.com/org/app.git", "https://***@github.com/org/app.git")]
    [InlineData("https://github.com/org/app.git", "https://github.com/org/app.git")]
    [InlineData("git@github.com:org/app.git", "git@github.com:org/app.git")]
    [InlineData("https://github.com/org/app@v2.git", "https://github.com/org/app@v2.git")]
    public void The_shown_url_has_its_userinfo_replaced(string url, string shown) => Assert.Equal(shown, RepositoryUrl.Redact(url));

    [Theory]
    [InlineData("https://alice:p%40ss@host/r.git", "https://host/r.git", "alice", "p@ss")]
    [InlineData("https://tok3n@host/r.git", "https://host/r.git", "tok3n", "")]
    public void Http_credentials_are_split_off_the_url_for_gits_command_line(string url, string bare, string user, string password) =>
        Assert.Equal((bare, user, password), CicdOps.Engine.Git.UrlCredentials.Split(url));

    [Theory]
    [InlineData("git@github.com:org/app.git")]
    [InlineData("ssh://git@github.com/org/app.git")]
    [InlineData("https://github.com/org/app.git")]
    public void Urls_without_http_credentials_are_left_alone(string url) => Assert.Null(CicdOps.Engine.Git.UrlCredentials.Split(url));

    [Fact]
    public void An_unreachable_repository_error_never_contains_the_token()
    {
        using var h = new EngineHarness();
        var url = $"http://alice:{Token}@127.0.0.1:{FreePort.Next()}/org/app.git";
        var e = Assert.Throws<CicdException>(() => h.Engine.RegisterProject(new ProjectSpec { Name = "app", Repository = url, Path = Path.Combine(h.Root, "t") }));
        Assert.Equal("CicdRepositoryUnreachable", e.ErrorId);
        Assert.DoesNotContain(Token, e.Message);
        Assert.DoesNotContain(Token, e.Target?.ToString() ?? "");
        Assert.Contains("***@127.0.0.1", e.Message);
    }

    [Fact]
    public void A_project_on_an_authenticated_http_remote_deploys_and_its_token_is_in_no_output()
    {
        using var repo = new TestRepository();
        using var cli = new CliHarness();
        repo.WriteSleeper("v1", cli.StateDir).CommitAndPush();
        using var server = new DumbHttpGitServer(repo, "alice", Token);
        server.UpdateServerInfo();
        var url = server.UrlWith("alice", Token);

        var add = cli.Run("project", "add", "app", "--repo", url, "--path", cli.TreePath("app")).ShouldExit(0);
        var deploy = cli.Run("deploy", "app").ShouldExit(0);
        Assert.Equal("v1", cli.Serving);

        var outputs = new[]
        {
            add, deploy, cli.Run("project", "list"), cli.Run("project", "list", "--json"), cli.Run("project", "show", "app"),
            cli.Run("project", "show", "app", "--json"), cli.Run("logs", "app"), cli.Run("deployments", "app", "--json"),
        };
        foreach (var r in outputs)
        {
            Assert.DoesNotContain(Token, r.StdOut + r.StdErr);
        }
        Assert.Contains("http://***@127.0.0.1", cli.Run("project", "show", "app").StdOut);
        using var json = JsonDocument.Parse(cli.Run("project", "show", "app", "--json").StdOut);
        Assert.Equal($"http://***@127.0.0.1:{server.Port}/origin.git", json.RootElement.GetProperty("repository").GetString());
        foreach (var log in Directory.EnumerateFiles(Path.Combine(cli.DataPath, "logs"), "*.log", SearchOption.AllDirectories))
            Assert.DoesNotContain(Token, File.ReadAllText(log));

        // Stored encrypted like a secret: no file under the data directory holds the token, and it is no secret of the app.
        foreach (var file in Directory.EnumerateFiles(cli.DataPath, "*", SearchOption.AllDirectories))
            Assert.DoesNotContain(Token, System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(file)));
        Assert.DoesNotContain("repository", cli.Run("secret", "list", "app").StdOut);

        // Changing another setting, or setting the URL as shown (with ***), keeps the credentials: the next deploy
        // still authenticates.
        cli.Run("project", "set", "app", "--health-timeout", "20").ShouldExit(0);
        cli.Run("project", "set", "app", "--repo", $"http://***@127.0.0.1:{server.Port}/origin.git").ShouldExit(0);
        repo.WriteSleeper("v2", cli.StateDir).CommitAndPush();
        server.UpdateServerInfo();
        cli.Run("deploy", "app").ShouldExit(0);
        Assert.Equal("v2", cli.Serving);

        // git got the credentials from its environment (a helper), never on a command line other accounts can read.
        Assert.True(server.Requests > 0);
        Assert.Empty(server.CommandLinesWithThePassword);
    }
}
