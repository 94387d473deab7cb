using CicdOps.Tests.Cli;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Pipelines;

/// <summary>`--pipeline-events`, `--commit-status-api` and `project status-token`, as real CLI processes.</summary>
[Collection("cli")]
public sealed class PipelineEventsCliTests : IDisposable
{
    private readonly CliHarness _cli = new();
    private readonly TestRepository _repo = new();

    public PipelineEventsCliTests()
    {
        _repo.Write("README", "events");
        _repo.CommitAndPush("first");
    }

    public void Dispose()
    {
        _cli.Dispose();
        _repo.Dispose();
    }

    [Fact]
    public void Projects_subscribe_to_push_by_default_and_set_changes_it_and_a_bad_event_changes_nothing()
    {
        Assert.Equal(new[] { "push" }, _cli.Add(_repo, "ev").PipelineEvents);
        Assert.Equal(new[] { "pull_request", "tag" },
            _cli.Run("project", "set", "ev", "--pipeline-events", "tag,pull_request", "--json").ShouldExit(0).Json<Project>().PipelineEvents);
        Assert.Empty(_cli.Run("project", "set", "ev", "--pipeline-events", "none", "--json").ShouldExit(0).Json<Project>().PipelineEvents);
        Assert.Equal(new[] { "push", "tag" },
            _cli.Add(_repo, "ev2", "--pipeline-events", "push,tag").PipelineEvents);

        var bad = _cli.Run("project", "set", "ev2", "--pipeline-events", "push,merge");
        Assert.NotEqual(0, bad.Code);
        var line = Assert.Single(bad.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("Pipeline event 'merge' is not one of push, pull_request, tag", line);
        Assert.Equal(new[] { "push", "tag" }, _cli.Run("project", "show", "ev2", "--json").ShouldExit(0).Json<Project>().PipelineEvents);
    }

    [Fact]
    public void The_status_token_is_read_from_stdin_and_never_printed_and_the_API_override_is_checked()
    {
        const string token = "glpat-cli-token-9e8d7c6b";
        _cli.Add(_repo, "st");
        using (var p = _cli.Start("project", "status-token", "st"))
        {
            p.StandardInput.Write(token + "\n");
            p.StandardInput.Close();
            var stdout = p.StandardOutput.ReadToEnd();
            var stderr = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.Equal(0, p.ExitCode);
            Assert.Contains("st: commit status token set", stdout);
            Assert.DoesNotContain(token, stdout + stderr);
        }
        var shown = _cli.Run("project", "show", "st").ShouldExit(0).StdOut + _cli.Run("project", "show", "st", "--json").StdOut
            + _cli.Run("secret", "list", "st").StdOut + _cli.Run("secret", "list", "st").StdErr;
        Assert.DoesNotContain(token, shown);
        Assert.DoesNotContain("@status-token", shown);

        Assert.Equal("https://git.example.com/api/v4",
            _cli.Run("project", "set", "st", "--commit-status-api", "https://git.example.com/api/v4/", "--json").ShouldExit(0).Json<Project>().CommitStatusApi);
        var bad = _cli.Run("project", "set", "st", "--commit-status-api", "https://git.example.com/");
        Assert.NotEqual(0, bad.Code);
        Assert.Contains("/api/v4 (GitLab)", bad.StdErr);
        Assert.Null(_cli.Run("project", "set", "st", "--clear-commit-status-api", "--json").ShouldExit(0).Json<Project>().CommitStatusApi);

        Assert.Contains("st: commit status token removed", _cli.Run("project", "status-token", "st", "--clear").ShouldExit(0).StdOut);
        Assert.Contains("st: had no commit status token", _cli.Run("project", "status-token", "st", "--clear").ShouldExit(0).StdOut);
    }
}
