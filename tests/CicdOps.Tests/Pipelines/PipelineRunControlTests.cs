using CicdOps.Engine;
using CicdOps.Tests.Cli;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Pipelines;

/// <summary>
/// A run is recorded from its start: another engine on the same data directory sees it Running, follows its step
/// logs as they are written and cancels it; `pipeline logs` and `pipeline cancel` do the same as real processes.
/// </summary>
public sealed class PipelineRunControlTests : IDisposable
{
    private readonly EngineHarness _h = new();
    private readonly TestRepository _repo = new();

    public void Dispose()
    {
        _h.Dispose();
        _repo.Dispose();
    }

    private static async Task<PipelineRun> WaitForRunning(CicdEngine engine, string project, Func<PipelineRun, bool> until)
    {
        for (var i = 0; i < 600; i++)
        {
            var run = engine.GetPipelineRuns(project).FirstOrDefault();
            if (run is not null && until(run)) return run;
            await Task.Delay(50);
        }
        throw new TimeoutException("the run never got there");
    }

    [Fact]
    public async Task Another_engine_sees_the_run_running_follows_its_logs_and_cancels_it()
    {
        _repo.Write(".cicd/pipeline.json", """
            {"steps": [
              {"name": "first", "run": "echo hello-from-first"},
              {"name": "waits", "run": ["echo waiting-now", "sleep 300"]},
              {"name": "never", "run": "true"}
            ]}
            """);
        _repo.CommitAndPush("pipeline");
        var project = _h.Register(_repo, "ctl-" + Guid.NewGuid().ToString("N")[..6]);
        var running = _h.Engine.RunPipelineAsync(project.Name);

        using var other = CicdEngine.Open(new EngineOptions { DataPath = _h.DataPath });
        var seen = await WaitForRunning(other, project.Name, r => File.Exists(Path.Combine(r.LogDirectory, "step-1.log"))
            && File.ReadAllText(Path.Combine(r.LogDirectory, "step-1.log")).Contains("waiting-now"));
        Assert.Equal(PipelineRunStatus.Running, seen.Status);
        Assert.False(seen.IsFinished);

        var lines = new List<string>();
        var follow = other.FollowPipelineRunLogAsync(seen.RunId, null, follow: true, l => { lock (lines) lines.Add(l); });
        await Task.Delay(300);
        Assert.False(follow.IsCompleted, "following ended while the run was still running");

        var cancelled = await other.CancelPipelineRunAsync(seen.RunId);
        Assert.Equal(PipelineRunStatus.Cancelled, cancelled.Status);
        Assert.Equal(new[] { PipelineStepStatus.Succeeded, PipelineStepStatus.Cancelled, PipelineStepStatus.NotRun }, cancelled.Steps.Select(s => s.Status));
        Assert.Equal(PipelineRunStatus.Cancelled, (await running).Status);
        await follow.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains("== step 0 ==", lines);
        Assert.Contains(lines, l => l.EndsWith(" out  hello-from-first"));
        Assert.Contains(lines, l => l.EndsWith(" out  waiting-now"));
        Assert.Contains(lines, l => l.EndsWith(" cicd cancelled"));

        // One step's log only.
        var step0 = new List<string>();
        await other.FollowPipelineRunLogAsync(seen.RunId, 0, follow: false, step0.Add);
        Assert.Contains(step0, l => l.EndsWith(" out  hello-from-first"));
        Assert.DoesNotContain(step0, l => l.Contains("waiting-now") || l.StartsWith("=="));

        // Nothing left to cancel; an unknown run is named as such.
        var e = await Assert.ThrowsAsync<CicdException>(() => other.CancelPipelineRunAsync(seen.RunId));
        Assert.Equal(CicdError.NothingToCancel, e.Error);
        Assert.Contains("is not running (it Cancelled)", e.Message);
        Assert.Equal(CicdError.PipelineRunNotFound, Assert.Throws<CicdException>(() => other.GetPipelineRun("20990101000000-nothere")).Error);
    }
}

/// <summary>`cicdops pipeline logs` and `pipeline cancel` against a run another `cicdops` process runs.</summary>
[Collection("cli")]
public sealed class PipelineRunControlCliTests : IDisposable
{
    private readonly CliHarness _cli = new();
    private readonly TestRepository _repo = new();

    public void Dispose()
    {
        _cli.Dispose();
        _repo.Dispose();
    }

    [Fact]
    public async Task Logs_follow_a_run_of_another_process_and_cancel_stops_it()
    {
        _repo.Write(".cicd/pipeline.json", """{"steps": [{"name": "waits", "run": ["echo cli-waiting", "sleep 300"]}, {"name": "never", "run": "true"}]}""");
        _repo.CommitAndPush("pipeline");
        _cli.Add(_repo, "pipe");
        using var runner = _cli.Start("pipeline", "run", "pipe");

        PipelineRun? run = null;
        for (var i = 0; i < 600 && run is null; i++)
        {
            var runs = _cli.Run("pipeline", "runs", "pipe", "--json").ShouldExit(0).Json<List<PipelineRun>>();
            if (runs.FirstOrDefault() is { Status: PipelineRunStatus.Running } r && File.Exists(Path.Combine(r.LogDirectory, "step-0.log"))
                && File.ReadAllText(Path.Combine(r.LogDirectory, "step-0.log")).Contains("cli-waiting")) run = r;
            else await Task.Delay(100);
        }
        Assert.NotNull(run);
        var follow = _cli.RunAsync("pipeline", "logs", run!.RunId, "--follow");

        var cancel = _cli.Run("pipeline", "cancel", run.RunId).ShouldExit(0);
        Assert.Contains($"pipe: pipeline run {run.RunId} Cancelled", cancel.StdOut);
        Assert.True(runner.WaitForExit(30_000), "the running cicdops did not end");
        Assert.Equal(6, runner.ExitCode);

        var logs = (await follow.WaitAsync(TimeSpan.FromSeconds(30))).ShouldExit(0);
        Assert.Contains(" out  cli-waiting", logs.StdOut);
        Assert.Contains(" cicd cancelled", logs.StdOut);

        Assert.Contains("is not running (it Cancelled)", _cli.Run("pipeline", "cancel", run.RunId).ShouldExit(1).StdErr);
        Assert.Contains("--step -1 does not exist", _cli.Run("pipeline", "logs", run.RunId, "--step", "-1").ShouldExit(1).StdErr);
    }
}
