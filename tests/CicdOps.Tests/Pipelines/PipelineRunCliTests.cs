using CicdOps.Tests.Cli;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Pipelines;

/// <summary>`cicdops pipeline run` and `pipeline runs`, as real processes against a real repository.</summary>
[Collection("cli")]
public sealed class PipelineRunCliTests : IDisposable
{
    private readonly CliHarness _cli = new();
    private readonly TestRepository _repo = new();

    public void Dispose()
    {
        _cli.Dispose();
        _repo.Dispose();
    }

    [Fact]
    public void Run_reports_each_step_and_exits_by_the_outcome_and_runs_lists_it()
    {
        _repo.Write(".simpleci/pipeline.json", """
            {"steps": [
              {"name": "on push", "condition": "context.event == 'push'", "run": "echo pushed"},
              {"name": "fails", "run": "exit 9"},
              {"name": "never", "run": "true"}
            ]}
            """);
        var sha = _repo.CommitAndPush("pipeline");
        _cli.Add(_repo, "pipe");

        var r = _cli.Run("pipeline", "run", "pipe", "--event", "push");
        r.ShouldExit(3);
        Assert.Contains("pipe: pipeline Failed for " + sha[..12], r.StdOut);
        Assert.Matches(@"(?m)^1\s+fails\s+Failed\s+9\s", r.StdOut);
        Assert.Matches(@"(?m)^2\s+never\s+NotRun\s", r.StdOut);

        var manual = _cli.Run("pipeline", "run", "pipe", "--json");
        manual.ShouldExit(3);
        var run = manual.Json<PipelineRun>();
        Assert.Equal("manual", run.Event);
        Assert.Equal(PipelineStepStatus.Skipped, run.Steps[0].Status);

        var runs = _cli.Run("pipeline", "runs", "pipe", "--json").ShouldExit(0).Json<List<PipelineRun>>();
        Assert.Equal(2, runs.Count);
        Assert.Equal(run.RunId, runs[0].RunId);
        Assert.Equal(3, runs[1].Steps.Count);

        _cli.Run("pipeline", "run", "pipe", "--event", "release").ShouldExit(2);
    }
}
