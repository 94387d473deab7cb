using System.CommandLine;
using System.Reflection;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Cli;

/// <summary>What a newcomer reads in the CLI: help with examples, suggestions for typos, logs that say why they are empty.</summary>
[Collection("cli")]
public sealed class CliNewcomerTests
{
    /// <summary>The real command tree (Commands.Build is internal to the CLI).</summary>
    private static RootCommand Tree() => (RootCommand)typeof(CicdOps.Cli.Program).Assembly.GetType("CicdOps.Cli.Commands")!
        .GetMethod("Build", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)!.Invoke(null, null)!;

    private static IEnumerable<(string Path, Command Command)> Visible(Command c, string path = "cicdops")
    {
        if (c.Hidden) yield break;
        yield return (path, c);
        foreach (var sub in c.Subcommands)
            foreach (var x in Visible(sub, path + " " + sub.Name)) yield return x;
    }

    [Fact]
    public void Every_command_help_has_an_example_of_itself()
    {
        var missing = Visible(Tree()).Where(x => !(x.Command.Description ?? "").Contains("Example") || !x.Command.Description!.Contains(x.Path))
            .Select(x => x.Path).ToList();
        Assert.Empty(missing);
    }

    [Fact]
    public void Defaults_are_written_one_way_and_allow_flags_are_switches()
    {
        foreach (var (path, command) in Visible(Tree()))
        foreach (var option in command.Options)
        {
            var text = option.Description ?? "";
            Assert.False(text.Contains("(default", StringComparison.OrdinalIgnoreCase) || text.Contains("default:") && !text.Contains("[default: "),
                $"{path} {option.Name}: write defaults as [default: …], like the generated ones: {text}");
            // A hidden retired flag (--allow-sudo-during-install) takes an optional value only to refuse it with the replacement.
            if (option.Name.StartsWith("--allow-", StringComparison.Ordinal) && !option.Hidden)
                Assert.True(option.ValueType == typeof(bool), $"{path} {option.Name} should be a switch (no value), not {option.ValueType}");
        }
    }

    [Fact]
    public void A_mistyped_command_or_project_name_suggests_the_nearest_one()
    {
        using var repo = new TestRepository();
        using var cli = new CliHarness();
        var typo = cli.Run("deplyo", "app").ShouldExit(2);
        Assert.Contains("did you mean 'deploy'?", typo.StdErr);
        var sub = cli.Run("project", "lsit").ShouldExit(2);
        Assert.Contains("did you mean 'list'?", sub.StdErr);

        repo.WriteSleeper("v1", cli.StateDir).CommitAndPush();
        cli.Add(repo, "webshop");
        var project = cli.Run("deploy", "webshpo").ShouldExit(1);
        Assert.Contains("did you mean 'webshop'?", project.StdErr);
        Assert.Single(project.ErrLines);
    }

    [Fact]
    public void Logs_of_a_deployment_that_never_started_says_so_and_app_logs_show_the_apps_output()
    {
        using var repo = new TestRepository();
        using var cli = new CliHarness();
        var v1 = repo.WriteSleeper("v1", cli.StateDir).CommitAndPush();
        cli.Add(repo);
        cli.Run("deploy", "app").ShouldExit(0);
        cli.Run("pin", "app").ShouldExit(0);
        cli.Run("deploy", "app").ShouldExit(5);

        var logs = cli.Run("logs", "app").ShouldExit(1);
        Assert.Contains("never started", logs.StdErr);
        Assert.Contains("Skipped", logs.StdErr);
        Assert.Single(logs.ErrLines);

        var app = cli.Run("logs", "app", "--app").ShouldExit(0);
        Assert.Contains($"starting v1 commit {v1}", app.StdOut);
    }

    [Fact]
    public void Unpin_says_what_the_pin_skipped_and_deploy_deploys_it()
    {
        using var repo = new TestRepository();
        using var cli = new CliHarness();
        repo.WriteSleeper("v1", cli.StateDir).CommitAndPush();
        cli.Add(repo);
        cli.Run("deploy", "app").ShouldExit(0);
        cli.Run("pin", "app").ShouldExit(0);
        var v2 = repo.WriteSleeper("v2", cli.StateDir).CommitAndPush();
        cli.Run("deploy", "app", "--commit", v2).ShouldExit(5);

        var unpin = cli.Run("unpin", "app").ShouldExit(0);
        Assert.Contains("skipped while pinned", unpin.StdOut);
        Assert.Contains(v2[..12], unpin.StdOut);
        Assert.Equal("v1", cli.Serving);

        cli.Run("pin", "app").ShouldExit(0);
        cli.Run("deploy", "app", "--commit", v2).ShouldExit(5);
        cli.Run("unpin", "app", "--deploy").ShouldExit(0);
        Assert.Equal("v2", cli.Serving);
    }

    [Fact]
    public void Backup_writes_a_new_file_and_refuses_an_existing_one()
    {
        using var repo = new TestRepository();
        using var cli = new CliHarness();
        repo.WriteSleeper("v1", cli.StateDir).CommitAndPush();
        cli.Add(repo);
        var file = Path.Combine(cli.Root, "state-backup.db");

        var r = cli.Run("backup", file).ShouldExit(0);
        Assert.Contains(file, r.StdOut);
        Assert.True(new FileInfo(file).Length > 0);
        var again = cli.Run("backup", file).ShouldExit(1);
        Assert.Contains("already exists", again.StdErr);
    }
}
