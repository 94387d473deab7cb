using CicdOps.Engine.Model;
using CicdOps.Tests.Releases;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Engine;

/// <summary>
/// The git processes a deploy starts (counted by the engine's git runner, written to the log as git-calls): only
/// those the work needs, and a hot-fix in the tree is still saved before it is replaced.
/// </summary>
public sealed class DeployPathTests
{
    private static Project RegisterInPlace(EngineHarness h, TestRepository repo) =>
        h.Engine.RegisterProject(new ProjectSpec
        {
            Name = "app", Repository = repo.Url, Path = Path.Combine(h.Root, "trees", "app"), Branch = repo.Branch,
            HealthTimeout = TimeSpan.FromSeconds(5), KeepReleases = 0,
        });

    [Fact]
    public void A_clean_tree_costs_one_status_call_and_no_reset_round_trip_and_a_dirty_one_still_saves_its_patch()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).Write("config.txt", "original\n").CommitAndPush();
        var tree = RegisterInPlace(h, repo).Path;
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));

        repo.WriteSleeper("v2", h.StateDir).CommitAndPush();
        var clean = h.Deploy("app");
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, clean);
        // status (clean: nothing more), fetch, rev-parse, ls-tree, reset to the commit.
        Assert.Equal(5, ReleaseHarness.GitCalls(h, clean));
        Assert.DoesNotContain("local modifications", h.Log(clean));

        File.WriteAllText(Path.Combine(tree, "config.txt"), "hot-fix made on the server\n");
        repo.WriteSleeper("v3", h.StateDir).CommitAndPush();
        var dirty = h.Deploy("app");
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, dirty);
        // The same, and one diff for the patch; the reset to the commit discards the hot-fix (no reset to HEAD first).
        Assert.Equal(6, ReleaseHarness.GitCalls(h, dirty));
        var patch = Directory.GetFiles(Path.Combine(h.DataPath, "patches", "app")).Single();
        Assert.Contains("+hot-fix made on the server", File.ReadAllText(patch));
        Assert.Contains(patch, h.Log(dirty));
        Assert.Equal("original", File.ReadAllText(Path.Combine(tree, "config.txt")).Trim());
        Assert.Equal("v3", h.Serving);
    }

    [Fact]
    public void A_new_release_starts_four_git_processes_and_pruning_starts_none_yet_git_knows_the_new_worktree_and_forgets_the_pruned_one()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var v1 = repo.WriteSleeper("v1", h.StateDir).CommitAndPush("v1");
        var p = h.RegisterWithReleases(repo, keep: 1);
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));

        var v2 = repo.WriteSleeper("v2", h.StateDir).CommitAndPush("v2");
        var d = h.Deploy("app");

        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, d);
        Assert.Contains("pruned", h.Log(d));
        // fetch, status of the serving release, ls-tree, and one reset that checks the new release out. The fetched tip
        // is read from its ref file and the worktree's records are written by the engine as the account (no rev-parse,
        // no `worktree add` with its own two children); pruning v1's release starts no git.
        Assert.Equal(4, ReleaseHarness.GitCalls(h, d));
        Assert.Equal(new[] { ReleaseHarness.ReleaseOf(p, v2) }, ReleaseHarness.ReleaseDirectories(p));
        var worktrees = Run.Command("git", null, "-c", "safe.directory=*", "-C", Path.Combine(p.Path, "repo"), "worktree", "list", "--porcelain");
        Assert.DoesNotContain(v1[..12], worktrees);
        Assert.Contains(ReleaseHarness.ReleaseOf(p, v2), worktrees);
        Assert.Single(Directory.GetDirectories(Path.Combine(p.Path, "repo", "worktrees")));
        Assert.Equal("v2", h.Serving);
    }

    [Fact]
    public void A_hot_fix_in_the_serving_release_is_saved_as_a_patch_while_the_next_commit_is_fetched()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var v1 = repo.WriteSleeper("v1", h.StateDir).Write("config.txt", "original\n").CommitAndPush("v1");
        var p = h.RegisterWithReleases(repo);
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
        var serving = Path.Combine(p.Path, "releases", ReleaseHarness.ReleaseOf(p, v1));
        File.WriteAllText(Path.Combine(serving, "config.txt"), "hot-fix made on the server\n");

        repo.WriteSleeper("v2", h.StateDir).CommitAndPush("v2");
        var d = h.Deploy("app");

        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, d);
        var patch = Directory.GetFiles(Path.Combine(h.DataPath, "patches", "app")).Single();
        Assert.Contains("+hot-fix made on the server", File.ReadAllText(patch));
        Assert.Contains($"serving release {ReleaseHarness.ReleaseOf(p, v1)} saved to {patch}", h.Log(d));
        // The old release stays as it was (it is kept, not reset); the new one has the commit's file.
        Assert.Equal("hot-fix made on the server", File.ReadAllText(Path.Combine(serving, "config.txt")).Trim());
        Assert.Equal("original", File.ReadAllText(Path.Combine(p.Path, "current", "config.txt")).Trim());
        Assert.Equal("v2", h.Serving);
    }

    [Fact]
    public void A_release_that_cannot_be_removed_fails_only_the_pruning_not_the_switch_done_in_the_same_script()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var v1 = repo.WriteSleeper("v1", h.StateDir).CommitAndPush("v1");
        var p = h.RegisterWithReleases(repo, keep: 1);
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
        // A directory its owner cannot read (mode 000, non-empty): the account's rm fails on it, for real.
        var sealedDir = Path.Combine(p.Path, "releases", ReleaseHarness.ReleaseOf(p, v1), "sealed");
        Directory.CreateDirectory(sealedDir);
        File.WriteAllText(Path.Combine(sealedDir, "f"), "x");
        File.SetUnixFileMode(sealedDir, UnixFileMode.None);

        var v2 = repo.WriteSleeper("v2", h.StateDir).CommitAndPush("v2");
        var d = h.Deploy("app");

        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, d);
        Assert.Equal("releases/" + ReleaseHarness.ReleaseOf(p, v2), ReleaseHarness.Current(p));
        Assert.Contains("pruning releases failed", h.Log(d));
        Assert.Equal("v2", h.Serving);
        // Still recorded, so a later prune tries again.
        Assert.Contains(h.Engine.GetReleases("app"), r => r.Commit == v1);
        File.SetUnixFileMode(sealedDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
