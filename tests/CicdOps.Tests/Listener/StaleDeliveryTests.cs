using System.Net;
using System.Text;
using CicdOps.Engine.Listener;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Listener;

/// <summary>
/// A signed push stays validly signed forever: replayed with a new delivery id (or arriving late) it must not put
/// an old commit over a newer one. Real listener, real engine, real git.
/// </summary>
public sealed class StaleDeliveryTests
{
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("stale-test-secret");

    [Fact]
    public async Task A_replayed_push_of_an_older_commit_deploys_nothing_and_is_recorded_stale()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var v1 = repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        h.Register(repo);
        await using var listener = await SignedPushListener.Start(h, Secret);

        Assert.Equal(HttpStatusCode.Accepted, await listener.Push(repo, v1, "d1"));
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Wait(Latest(h)));
        var v2 = repo.WriteSleeper("v2", h.StateDir).CommitAndPush();
        Assert.Equal(HttpStatusCode.Accepted, await listener.Push(repo, v2, "d2"));
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Wait(Latest(h)));

        // The same signed body for v1, under a new delivery id.
        Assert.Equal(HttpStatusCode.Accepted, await listener.Push(repo, v1, "d1-replayed"));
        var replay = h.Wait(Latest(h));
        DeploymentAssert.Status(h, DeploymentStatus.Skipped, replay);
        Assert.StartsWith("stale: ", replay.Reason);
        Assert.Contains("not the tip", replay.Reason);
        Assert.Equal(v2, h.Engine.GetProject("app").CurrentCommit);
        Assert.Equal("v2", h.Serving);
        var record = h.Engine.GetWebhookDeliveries().Single(d => d.DeliveryId == "d1-replayed");
        Assert.Equal("stale", record.Outcome);
        Assert.Contains("\"result\":\"stale\"", record.Detail);

        // The operator may still go back on purpose.
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app", v1));
        Assert.Equal("v1", h.Serving);
    }

    [Fact]
    public async Task A_push_of_the_tip_that_is_already_behind_what_is_deployed_deploys_nothing()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var v1 = repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        h.Register(repo);
        var v2 = repo.WriteSleeper("v2", h.StateDir).CommitAndPush();
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
        // The branch is force-pushed back to v1 and its (replayed) delivery arrives: v1 is the tip but an ancestor
        // of the deployed v2.
        repo.Git("push", "--quiet", "--force", "origin", v1 + ":refs/heads/" + repo.Branch);
        await using var listener = await SignedPushListener.Start(h, Secret);

        Assert.Equal(HttpStatusCode.Accepted, await listener.Push(repo, v1, "old"));
        var d = h.Wait(Latest(h));
        DeploymentAssert.Status(h, DeploymentStatus.Skipped, d);
        Assert.Contains("ancestor of the deployed", d.Reason);
        Assert.Equal(v2, h.Engine.GetProject("app").CurrentCommit);
        Assert.Equal(ProjectStatus.Healthy, h.Engine.GetProject("app").Status);
        Assert.Contains(d.Stages, s => s.Stage == DeploymentStage.Sync && s.Outcome == StageOutcome.Skipped);
    }

    private static Deployment Latest(EngineHarness h) => h.Engine.GetDeployments("app").MaxBy(d => d.Id)!;
}
