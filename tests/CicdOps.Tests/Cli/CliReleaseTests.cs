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

    [Fact]
    public void Project_proxy_shows_sets_and_clears_and_bad_input_is_one_line_that_changes_nothing()
    {
        using var repo = new TestRepository();
        using var cli = new CliHarness();
        using var conf = new TempDirectory("cicdops-nginx-conf");
        repo.WriteSleeper("v1", cli.StateDir).CommitAndPush("v1");
        Assert.Equal(5, cli.Add(repo).KeepReleases);
        var file = Path.Combine(conf.Path, "app.conf");
        var (a, b) = (FreePort.Next(), FreePort.Next());

        Assert.Contains("no proxy", cli.Run("project", "proxy", "app").ShouldExit(0).StdOut);
        foreach (var bad in new[] { new[] { "--ports", "80x", "--upstream-file", file }, new[] { "--ports", $"{a},{a}", "--upstream-file", file },
                     new[] { "--ports", $"{a},{b}", "--upstream-file", Path.Combine(cli.TreePath("app"), "x.conf") }, new[] { "--ports", $"{a},{b}" } })
        {
            var r = cli.Run(new[] { "project", "proxy", "app" }.Concat(bad).ToArray());
            Assert.NotEqual(0, r.Code);
            Assert.Single(r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        Assert.Contains("no proxy", cli.Run("project", "proxy", "app").ShouldExit(0).StdOut);

        var set = cli.Run("project", "proxy", "app", "--ports", $"{a},{b}", "--upstream-file", file, "--nginx", "/usr/sbin/nginx", "--drain", "2", "--json")
            .ShouldExit(0).Json<ProjectProxy>();
        Assert.Equal((a, b, file, TimeSpan.FromSeconds(2)), (set.FirstPort, set.SecondPort, set.UpstreamFile, set.DrainPeriod));
        var shown = cli.Run("project", "proxy", "app").ShouldExit(0).StdOut;
        Assert.Contains($"app: nginx, ports {a} and {b}", shown);
        Assert.Contains($"upstream file  {file}", shown);

        // Caddy: what the switch rewrites is the admin API's route, shown like Get-CicdProjectProxy's Target column.
        using var caddy = new CaddyServer(a);
        cli.Run("project", "proxy", "app", "--ports", $"{a},{b}", "--caddy-admin", caddy.Admin, "--caddy-route", CaddyServer.Route).ShouldExit(0);
        shown = cli.Run("project", "proxy", "app").ShouldExit(0).StdOut;
        Assert.Contains($"app: caddy, ports {a} and {b}", shown);
        Assert.Contains($"admin API      {caddy.Admin}", shown);
        Assert.Contains($"route @id      {CaddyServer.Route}", shown);
        Assert.DoesNotContain("upstream file", shown);
        cli.Run("project", "proxy", "app", "--clear").ShouldExit(0);
        Assert.Contains("no proxy", cli.Run("project", "proxy", "app").ShouldExit(0).StdOut);
    }
}
