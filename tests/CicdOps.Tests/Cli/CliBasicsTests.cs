using CicdOps.Engine.Model;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Cli;

[Collection("cli")]
public sealed class CliBasicsTests
{
    [Fact]
    public void Help_exits_0_and_lists_the_commands()
    {
        using var cli = new CliHarness();
        var r = cli.Run("--help").ShouldExit(0);
        foreach (var command in new[] { "project", "deploy", "deployments", "logs", "cancel", "pin", "unpin", "rollback", "--data-dir" })
            Assert.Contains(command, r.StdOut);
        Assert.DoesNotContain("worker", r.StdOut);
        Assert.Contains("Exit codes", r.StdOut);

        var sub = cli.Run("project", "add", "--help").ShouldExit(0);
        Assert.Contains("--repo", sub.StdOut);
        Assert.Contains("--health-timeout", sub.StdOut);
    }

    [Theory]
    [InlineData("bogus")]
    [InlineData("deploy")]
    [InlineData("project", "add", "app", "--path", "/srv/app")]
    [InlineData("deployments", "--limit", "many")]
    [InlineData("project", "set", "app", "--port", "80", "--clear-port")]
    [InlineData("project", "set", "app")]
    public void A_wrong_command_line_is_one_line_on_stderr_and_exit_2(params string[] args)
    {
        using var cli = new CliHarness();
        var r = cli.Run(args).ShouldExit(2);
        Assert.Single(r.ErrLines);
        Assert.StartsWith("cicdops: ", r.StdErr);
        Assert.Equal("", r.StdOut);
    }

    [Fact]
    public void Project_add_then_list_json_round_trips_and_set_show_remove_work()
    {
        using var repo = new TestRepository();
        using var cli = new CliHarness();
        repo.WriteSleeper("v1", cli.StateDir).CommitAndPush("v1");
        var port = FreePort.Next();

        var added = cli.Add(repo, "web", "--port", port.ToString(), "--install-timeout", "120");

        Assert.Equal("web", added.Name);
        Assert.Equal(repo.Url, added.Repository);
        Assert.Equal(cli.TreePath("web"), added.Path);
        Assert.Equal(port, added.Port);
        Assert.Equal(TimeSpan.FromSeconds(5), added.HealthTimeout);
        Assert.Equal(TimeSpan.FromSeconds(120), added.InstallTimeout);
        Assert.Equal(ProjectStatus.Registered, added.Status);
        var listed = Assert.Single(cli.Projects());
        Assert.Equal(added, listed);

        var table = cli.Run("project", "list").ShouldExit(0).StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("NAME", table[0]);
        Assert.StartsWith("web ", table[1]);
        Assert.Equal(table[0].IndexOf("STATUS"), table[1].IndexOf("Registered"));

        var set = cli.Run("project", "set", "web", "--clear-port", "--health-timeout", "7", "--json").ShouldExit(0).Json<Project>();
        Assert.Null(set.Port);
        Assert.Equal(TimeSpan.FromSeconds(7), set.HealthTimeout);
        var shown = cli.Run("project", "show", "web").ShouldExit(0).StdOut;
        Assert.Matches(@"(?m)^Health timeout:\s+7\.0s$", shown);
        Assert.Matches(@"(?m)^Port:\s+-$", shown);

        var removed = cli.Run("project", "remove", "web", "--remove-service-user", "--json").ShouldExit(0).Json<Project>();
        Assert.Equal("web", removed.Name);
        Assert.Empty(cli.Projects());
    }

    private static readonly (string Because, string[] Args, string Expected)[] BadInput =
    {
        ("unknown project", new[] { "project", "show", "nope" }, "No project named 'nope'"),
        ("unknown project (deploy)", new[] { "deploy", "nope" }, "No project named 'nope'"),
        ("unknown project (remove)", new[] { "project", "remove", "nope" }, "No project named 'nope'"),
        ("unknown project (set)", new[] { "project", "set", "nope", "--port", "8080" }, "No project named 'nope'"),
        ("unknown project (deployments)", new[] { "deployments", "nope" }, "No project named 'nope'"),
        ("invalid name", new[] { "project", "add", "Bad_Name", "--repo", "REPO", "--path", "TREE" }, "Invalid project name"),
        ("hostile name", new[] { "project", "add", "x\n$(touch /tmp/pwned)", "--repo", "REPO", "--path", "TREE" }, "Invalid project name"),
        ("existing name", new[] { "project", "add", "app", "--repo", "REPO", "--path", "TREE" }, "already exists"),
        ("unreachable repository", new[] { "project", "add", "other", "--repo", "file:///nonexistent/repo.git", "--path", "TREE" }, "nonexistent"),
        ("missing branch", new[] { "project", "add", "other", "--repo", "REPO", "--path", "TREE", "--branch", "nope" }, "Branch 'nope' does not exist"),
        ("path of another project", new[] { "project", "add", "other", "--repo", "REPO", "--path", "APPTREE" }, "already the working tree"),
        ("invalid port", new[] { "project", "set", "app", "--port", "70000" }, "70000"),
        ("invalid commit", new[] { "deploy", "app", "--commit", "not-a-sha;rm" }, "Invalid commit"),
        ("bad limit", new[] { "deployments", "--limit", "0" }, "Invalid limit"),
        ("nothing to cancel", new[] { "cancel", "app" }, "no waiting or running deployment"),
        ("no deployments yet", new[] { "logs", "app" }, "no deployments yet"),
        ("unknown deployment", new[] { "logs", "app", "--deployment", "999" }, "No deployment with id 999"),
        ("nothing to roll back to", new[] { "rollback", "app" }, "no earlier successful deployment"),
        ("nothing to pin", new[] { "pin", "app" }, "no current commit to pin"),
    };

    [Fact]
    public void Bad_input_is_one_line_on_stderr_exit_1_and_changes_nothing()
    {
        using var repo = new TestRepository();
        using var cli = new CliHarness();
        repo.WriteSleeper("v1", cli.StateDir).CommitAndPush("v1");
        cli.Add(repo);
        var before = cli.Run("project", "list", "--json").ShouldExit(0).StdOut;
        var deploymentsBefore = cli.Run("deployments", "--json").ShouldExit(0).StdOut;
        var failures = new List<string>();

        foreach (var (because, args, expected) in BadInput)
        {
            var r = cli.Run(args.Select(a => a.Replace("REPO", repo.Url).Replace("APPTREE", cli.TreePath("app"))
                .Replace("TREE", cli.TreePath("other"))).ToArray());
            if (r.Code != 1 || r.ErrLines.Length != 1 || !r.StdErr.StartsWith("cicdops: ") || !r.StdErr.Contains(expected)
                || r.StdErr.Contains("   at ") || r.StdOut != "")
                failures.Add($"{because}: exit {r.Code}, stdout [{r.StdOut}], stderr [{r.StdErr}]");
            if (cli.Run("project", "list", "--json").StdOut != before) failures.Add($"{because}: changed the projects");
            if (cli.Run("deployments", "--json").StdOut != deploymentsBefore) failures.Add($"{because}: changed the deployments");
        }

        Assert.False(File.Exists("/tmp/pwned"));
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void An_unusable_data_directory_is_one_line_exit_1()
    {
        using var cli = new CliHarness();
        var file = Path.Combine(cli.Root, "a-file");
        File.WriteAllText(file, "");
        var r = cli.RunWithDataDir(file, "project", "list").ShouldExit(1);
        Assert.StartsWith("cicdops: Cannot use data directory", Assert.Single(r.ErrLines));
    }
}
