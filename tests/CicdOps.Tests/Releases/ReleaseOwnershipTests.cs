using CicdOps.Engine.Model;
using CicdOps.Tests.Sandbox;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Releases;

public sealed class ReleaseOwnershipTests
{
    [RootFact]
    public void Every_release_link_and_shared_file_belongs_to_the_projects_user_and_nothing_else()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush("v1");
        var p = h.Register(repo, keepReleases: 0); // in place first: the migration is part of what is checked
        h.Deploy("app");
        h.Engine.UpdateProject("app", new ProjectUpdate { KeepReleases = 5, SharedPaths = new[] { ".env", "data/" } });
        repo.WriteSleeper("v2", h.StateDir).CommitAndPush("v2");
        // The migration realigns the tree once (chown -R); after it, deploys give nothing back: v3 and v4's releases,
        // their checkout, `current` (switched in the engine's process as the account) and the pruning are made as the
        // project's user from the start, so a root-made file would show below.
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
        repo.WriteSleeper("v3", h.StateDir).CommitAndPush("v3");
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
        repo.WriteSleeper("v4", h.StateDir).CommitAndPush("v4");
        var last = h.Deploy("app");
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, last);
        p = h.Engine.GetProject("app");

        var uid = CicdOps.Tests.LeastPrivilege.LeastPrivilegeTests.Account(p.ServiceUser!).Uid;
        // find -P: links are listed, never followed; every entry under the path, the path itself included.
        var owners = Run.Command("find", "/", "-P", p.Path, "-printf", "%U %p\n").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(owners.Length > 20, string.Join('\n', owners));
        Assert.All(owners, line => Assert.StartsWith(uid + " ", line));
        Assert.Contains(owners, l => l.EndsWith("/current", StringComparison.Ordinal));
        Assert.Contains(owners, l => l.EndsWith("/shared/.env", StringComparison.Ordinal));
        Assert.Contains(owners, l => l.EndsWith("/repo/worktrees/" + new FileInfo(Path.Combine(p.Path, "current")).LinkTarget!["releases/".Length..] + "/HEAD", StringComparison.Ordinal));
    }
}
