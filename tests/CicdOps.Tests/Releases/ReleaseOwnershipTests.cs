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
        // The last deploy made everything checked below after its realignment of the tree (chown -R at the start):
        // the migration, repo/, the new release, shared/ and the links are what it created, as the project's user.
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
        p = h.Engine.GetProject("app");

        var uid = CicdOps.Tests.LeastPrivilege.LeastPrivilegeTests.Account(p.ServiceUser!).Uid;
        // find -P: links are listed, never followed; every entry under the path, the path itself included.
        var owners = Run.Command("find", "/", "-P", p.Path, "-printf", "%U %p\n").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(owners.Length > 20, string.Join('\n', owners));
        Assert.All(owners, line => Assert.StartsWith(uid + " ", line));
        Assert.Contains(owners, l => l.EndsWith("/current", StringComparison.Ordinal));
        Assert.Contains(owners, l => l.EndsWith("/shared/.env", StringComparison.Ordinal));
    }
}
