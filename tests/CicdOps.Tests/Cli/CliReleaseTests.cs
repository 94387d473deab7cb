using CicdOps.Tests.Support;

namespace CicdOps.Tests.Cli;

[Collection("cli")]
public sealed class CliReleaseTests
{
    [Fact]
    public void Releases_lists_kept_releases_and_a_rollback_to_one_says_it_needs_no_git()
    {
        using var repo = new TestRepository();
        using var cli = new CliHarness();
        var v1 = repo.WriteSleeper("v1", cli.StateDir).CommitAndPush("v1");
        var p = cli.Add(repo, "app", "--keep-releases", "3", "--shared", ".env", "--shared", "storage/");
        Assert.Equal(3, p.KeepReleases);
        Assert.Equal(new[] { ".env", "storage/" }, p.SharedPaths);
        cli.Run("deploy", "app").ShouldExit(0);
        var v2 = repo.WriteSleeper("v2", cli.StateDir).CommitAndPush("v2");
        cli.Run("deploy", "app").ShouldExit(0);

        var releases = cli.Run("releases", "app", "--json").ShouldExit(0).Json<List<Release>>();
        Assert.Equal(new[] { v2, v1 }, releases.Select(r => r.Commit));
        Assert.True(releases[0].IsCurrent && releases[0].IsLastGood);
        Assert.False(releases[1].IsCurrent);
        var table = cli.Run("releases", "app").ShouldExit(0).StdOut;
        Assert.Matches(@"RELEASE\s+COMMIT\s+CREATED\s+INSTALLED\s+SIZE\s+CURRENT\s+LAST GOOD", table);

        cli.Run("rollback", "app", "--commit", v1).ShouldExit(0);
        Assert.Contains("no git and no install", cli.Run("logs", "app").ShouldExit(0).StdOut);
        Assert.Equal("v1", cli.Serving);
        Assert.Equal(v1, cli.Run("releases", "app", "--json").ShouldExit(0).Json<List<Release>>().Single(r => r.IsCurrent).Commit);
    }

    [Fact]
    public void A_bad_shared_path_is_one_line_and_registers_nothing()
    {
        using var repo = new TestRepository();
        using var cli = new CliHarness();
        repo.WriteSleeper("v1", cli.StateDir).CommitAndPush("v1");

        var r = cli.Run("project", "add", "app", "--repo", repo.Url, "--path", cli.TreePath("app"), "--keep-releases", "2", "--shared", "../outside");

        Assert.NotEqual(0, r.Code);
        Assert.Single(r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("Invalid shared path", r.StdErr);
        Assert.Empty(cli.Projects());
    }
}
