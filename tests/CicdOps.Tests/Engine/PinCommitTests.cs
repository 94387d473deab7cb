using CicdOps.Engine;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Engine;

/// <summary>A pin or rollback names a commit that exists, and is stored as its full SHA.</summary>
public sealed class PinCommitTests
{
    [Fact]
    public void Pinning_a_commit_that_does_not_exist_is_refused_before_anything_is_stored()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        h.Register(repo);
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));

        var e = Assert.Throws<CicdException>(() => h.Engine.Pin("app", "0000000"));
        Assert.Equal("CicdCommitNotFound", e.ErrorId);
        Assert.Null(h.Engine.GetProject("app").PinnedCommit);
        Assert.Single(h.Engine.GetDeployments("app"));
    }

    [Fact]
    public void Pinning_a_project_that_never_deployed_to_a_missing_commit_is_refused_too()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        h.Register(repo);

        Assert.Equal("CicdCommitNotFound", Assert.Throws<CicdException>(() => h.Engine.Pin("app", "deadbeef")).ErrorId);
        Assert.Null(h.Engine.GetProject("app").PinnedCommit);
        Assert.Empty(h.Engine.GetDeployments("app"));
    }

    [Fact]
    public void An_abbreviated_pin_is_stored_as_the_full_sha_at_once_even_for_a_commit_not_fetched_yet()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var v1 = repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        h.Register(repo);
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
        var v2 = repo.WriteSleeper("v2", h.StateDir).CommitAndPush();

        var pinned = h.Engine.Pin("app", v2[..8]);

        Assert.Equal(v2, pinned.Project.PinnedCommit);
        Assert.Equal(v2, pinned.Deployment!.RequestedCommit);
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Wait(pinned.Deployment));
        Assert.Equal(v1, h.Engine.GetDeployments("app").MinBy(d => d.Id)!.Commit);
    }

    [Fact]
    public void A_rollback_with_pin_stores_the_full_sha_and_a_forced_rollback_to_a_missing_commit_is_refused()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var v1 = repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        h.Register(repo);
        h.Deploy("app");
        repo.WriteSleeper("v2", h.StateDir).CommitAndPush();
        h.Deploy("app");

        var d = h.Engine.Rollback("app", v1[..7], pin: true, force: false);
        Assert.Equal(v1, h.Engine.GetProject("app").PinnedCommit);
        Assert.Equal(v1, d.RequestedCommit);
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Wait(d));

        var count = h.Engine.GetDeployments("app").Count;
        var e = Assert.Throws<CicdException>(() => h.Engine.Rollback("app", "abcdef0", pin: true, force: true));
        Assert.Equal("CicdCommitNotFound", e.ErrorId);
        Assert.Equal(v1, h.Engine.GetProject("app").PinnedCommit);
        Assert.Equal(count, h.Engine.GetDeployments("app").Count);
    }
}
