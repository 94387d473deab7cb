using CicdOps.Engine;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Pipelines;

/// <summary>
/// At most N runs at once per data directory (here 1): more wait Queued, recorded in SQLite, and a newer push run of
/// a project supersedes its waiting one.
/// </summary>
public sealed class PipelineQueueTests : IDisposable
{
    private readonly EngineHarness _h = new(new EngineOptions { MaxPipelineRuns = 1 });
    private readonly TestRepository _repo = new();
    private readonly string _gate = Path.Combine("/tmp", "cicdops-pq-" + Guid.NewGuid().ToString("N")[..10]);

    public PipelineQueueTests()
    {
        Directory.CreateDirectory(_gate);
        File.SetUnixFileMode(_gate, (UnixFileMode)0b111_111_111); // the service user waits on a file here
    }

    public void Dispose()
    {
        File.WriteAllText(Path.Combine(_gate, "go"), "");
        _h.Dispose();
        _repo.Dispose();
        Directory.Delete(_gate, recursive: true);
    }

    private async Task<PipelineRun> WaitFor(Func<IReadOnlyList<PipelineRun>, PipelineRun?> find)
    {
        for (var i = 0; i < 600; i++)
        {
            if (find(_h.Engine.GetPipelineRuns("q")) is { } run) return run;
            await Task.Delay(50);
        }
        throw new TimeoutException("the run never got there");
    }

    [Fact]
    public async Task A_second_run_waits_queued_and_a_newer_push_run_supersedes_the_waiting_one()
    {
        _repo.Write(".cicd/pipeline.json", $$"""{"steps": [{"name": "hold", "run": "while [ ! -e {{_gate}}/go ]; do sleep 0.1; done"}]}""");
        _repo.CommitAndPush("pipeline");
        _h.Register(_repo, "q");

        var first = _h.Engine.RunPipelineAsync("q", eventName: "manual");
        var running = await WaitFor(runs => runs.FirstOrDefault(r => r.Status == PipelineRunStatus.Running));

        var second = _h.Engine.RunPipelineAsync("q", eventName: "push");
        var queued = await WaitFor(runs => runs.FirstOrDefault(r => r.Status == PipelineRunStatus.Queued));
        Assert.NotEqual(running.RunId, queued.RunId);
        Assert.False(queued.IsFinished);

        var third = _h.Engine.RunPipelineAsync("q", eventName: "push");
        var superseded = await second.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(PipelineRunStatus.Superseded, superseded.Status);
        var newest = _h.Engine.GetPipelineRuns("q").Single(r => r.RunId != running.RunId && r.RunId != queued.RunId);
        Assert.Equal($"superseded by run {newest.RunId}", superseded.Reason);
        Assert.Equal(PipelineRunStatus.Queued, _h.Engine.GetPipelineRun(newest.RunId).Status);
        Assert.Equal(PipelineRunStatus.Running, _h.Engine.GetPipelineRun(running.RunId).Status);

        File.WriteAllText(Path.Combine(_gate, "go"), "");
        Assert.Equal(PipelineRunStatus.Succeeded, (await first.WaitAsync(TimeSpan.FromSeconds(60))).Status);
        var last = await third.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal((PipelineRunStatus.Succeeded, newest.RunId), (last.Status, last.RunId));
    }
}
