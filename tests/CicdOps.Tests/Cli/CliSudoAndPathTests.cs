using CicdOps.Tests.Sandbox;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Cli;

/// <summary>`--sudo-command` and path checks through the real CLI: one line on stderr, nothing changed, and the ALL warning.</summary>
[Collection("cli")]
public sealed class CliSudoAndPathTests
{
    [RootTheory]
    [InlineData("/usr/bin/id, ALL")]
    [InlineData("/usr/bin/id\nroot ALL=(ALL) ALL")]
    [InlineData("/usr/bin/id : ALL")]
    [InlineData("/usr/bin/*")]
    [InlineData("bash")]
    public void An_injected_sudo_command_is_refused_in_one_line_and_nothing_is_registered(string command)
    {
        using var repo = new TestRepository();
        using var cli = new CliHarness();
        repo.WriteSleeper("v1", cli.StateDir).CommitAndPush();

        var r = cli.Run("project", "add", "app", "--repo", repo.Url, "--path", cli.TreePath("app"), "--sudo-command", command).ShouldExit(1);

        Assert.Single(r.ErrLines);
        Assert.StartsWith("cicdops: ", r.StdErr);
        Assert.Empty(cli.Projects());
    }

    [RootFact]
    public void Sudo_commands_are_set_shown_replaced_and_cleared_and_ALL_is_warned_about()
    {
        using var repo = new TestRepository();
        using var cli = new CliHarness();
        repo.WriteSleeper("v1", cli.StateDir).CommitAndPush();

        var added = cli.Add(repo, "app", "--sudo-command", "/usr/bin/systemctl restart nginx", "--sudo-command", "/usr/bin/apt-get");
        Assert.Equal(new[] { "/usr/bin/systemctl restart nginx", "/usr/bin/apt-get" }, added.SudoCommands);
        Assert.Contains("/usr/bin/systemctl restart nginx; /usr/bin/apt-get", cli.Run("project", "show", "app").ShouldExit(0).StdOut);

        var all = cli.Run("project", "set", "app", "--sudo-command", "ALL").ShouldExit(0);
        Assert.Contains("warning: sudo grant of ALL", all.StdErr);
        Assert.Equal(new[] { "ALL" }, Assert.Single(cli.Projects()).SudoCommands);

        var cleared = cli.Run("project", "set", "app", "--clear-sudo-commands").ShouldExit(0);
        Assert.DoesNotContain("warning", cleared.StdErr);
        Assert.Empty(Assert.Single(cli.Projects()).SudoCommands);
    }

    [Fact]
    public void The_retired_allow_sudo_flag_is_refused_with_its_replacement()
    {
        using var cli = new CliHarness();

        var r = cli.Run("project", "add", "app", "--repo", "file:///nowhere.git", "--path", cli.TreePath("app"), "--allow-sudo-during-install")
            .ShouldExit(2);

        Assert.Single(r.ErrLines);
        Assert.Contains("--sudo-command", r.StdErr);
    }

    [RootFact]
    public void Project_set_to_a_system_path_is_refused_and_the_path_stays()
    {
        using var repo = new TestRepository();
        using var cli = new CliHarness();
        repo.WriteSleeper("v1", cli.StateDir).CommitAndPush();
        var added = cli.Add(repo, "app");

        var r = cli.Run("project", "set", "app", "--path", "/usr/local/app").ShouldExit(1);

        Assert.Single(r.ErrLines);
        Assert.Equal(added.Path, Assert.Single(cli.Projects()).Path);
    }
}
