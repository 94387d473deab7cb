using CicdOps.Engine.State;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Notifications;

/// <summary>The events that are not deployment outcomes reach the outbox from where they are recorded: pins, pipeline runs.</summary>
public sealed class EventSourceTests
{
    private static List<(string Kind, string? Project, string? Commit, string? Reason, string? Subject)> Outbox(EngineHarness h) =>
        new Database(h.DataPath).Read(c => c.Query("SELECT kind, project, commit_sha, reason, subject FROM notification_outbox ORDER BY id",
            r => (r.Str("kind")!, r.Str("project"), r.Str("commit_sha"), r.Str("reason"), r.Str("subject"))));

    [Fact]
    public void Pin_and_unpin_are_reported_with_the_pinned_commit_and_unpinning_nothing_is_not()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var sha = repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        h.Register(repo);
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
        h.Engine.Unpin("app"); // not pinned: nothing to report
        h.Engine.Pin("app", null);
        h.Engine.Unpin("app");

        var events = Outbox(h).Where(e => e.Kind.StartsWith("Project")).ToList();
        Assert.Equal([("ProjectPinned", "app", sha), ("ProjectUnpinned", "app", sha)], events.Select(e => (e.Kind, e.Project, e.Commit)).ToArray());
        Assert.Equal("DeploymentSucceeded", Outbox(h)[0].Kind);
    }

    [Fact]
    public async Task A_failed_pipeline_run_is_reported_with_its_reason_and_run_id()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.Write(".cicd/pipeline.json", """{"steps": [{"name": "tests", "run": "exit 4"}]}""");
        var sha = repo.CommitAndPush("failing");
        h.Register(repo, "pipe-" + Guid.NewGuid().ToString("N")[..6]);
        var project = h.Engine.GetProjects().Single().Name;
        var run = await h.Engine.RunPipelineAsync(project);

        var e = Outbox(h).Single();
        Assert.Equal(("PipelineFailed", project, sha, "step 'tests': command exited with code 4", run.RunId), e);
    }
}
