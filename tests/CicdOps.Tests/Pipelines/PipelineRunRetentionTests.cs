using CicdOps.Engine;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Pipelines;

/// <summary>Finished runs beyond <see cref="EngineOptions.PipelineRunsKept"/> per project go with their logs when a later run starts.</summary>
public sealed class PipelineRunRetentionTests : IDisposable
{
    private readonly EngineHarness _h = new(new EngineOptions { PipelineRunsKept = 2, FailedWorkspaceRetention = TimeSpan.Zero });
    private readonly TestRepository _repo = new();

    public void Dispose()
    {
        _h.Dispose();
        _repo.Dispose();
    }

    [Fact]
    public async Task Only_the_newest_runs_of_each_project_are_kept_and_older_ones_leave_no_log_behind()
    {
        _repo.Write(".cicd/pipeline.json", """{"steps": [{"name": "hello", "run": "echo hello"}]}""");
        _repo.CommitAndPush("pipeline");
        var shop = _h.Register(_repo, "keep-" + Guid.NewGuid().ToString("N")[..6]);
        var other = _h.Register(_repo, "other-" + Guid.NewGuid().ToString("N")[..6]);

        var first = await _h.Engine.RunPipelineAsync(shop.Name);
        var otherRun = await _h.Engine.RunPipelineAsync(other.Name);
        var second = await _h.Engine.RunPipelineAsync(shop.Name);
        Assert.True(Directory.Exists(first.LogDirectory));
        var third = await _h.Engine.RunPipelineAsync(shop.Name);
        // The third run's start pruned nothing yet (two finished then); the fourth's removes the first.
        Assert.True(Directory.Exists(first.LogDirectory));
        var fourth = await _h.Engine.RunPipelineAsync(shop.Name);

        Assert.Equal(new[] { fourth.RunId, third.RunId, second.RunId }.Order(),
            _h.Engine.GetPipelineRuns(shop.Name).Select(r => r.RunId).Order());
        Assert.False(Directory.Exists(first.LogDirectory), "the pruned run's logs stayed");
        Assert.Throws<CicdException>(() => _h.Engine.GetPipelineRun(first.RunId));
        Assert.True(Directory.Exists(second.LogDirectory));
        // Another project's runs count on their own.
        Assert.Equal(otherRun.RunId, Assert.Single(_h.Engine.GetPipelineRuns(other.Name)).RunId);
    }
}
