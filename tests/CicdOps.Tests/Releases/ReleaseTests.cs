using System.Net.Http;
using CicdOps.Engine;
using CicdOps.Engine.Model;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Releases;

public sealed class ReleaseTests
{
    private static string Installs(EngineHarness h) => Path.Combine(h.StateDir, "installs");

    private static int InstallCount(EngineHarness h) => File.Exists(Installs(h)) ? File.ReadAllLines(Installs(h)).Length : 0;

    [Fact]
    public void Each_deploy_gets_its_own_release_current_switches_to_it_and_old_ones_are_pruned()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var v1 = repo.WriteSleeper("v1", h.StateDir).CommitAndPush("v1");
        var p = h.RegisterWithReleases(repo, keep: 2);
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
        Assert.Equal("releases/" + ReleaseHarness.ReleaseOf(p, v1), ReleaseHarness.Current(p));
        Assert.False(Directory.Exists(Path.Combine(p.Path, ".git")), "the path holds releases, not a working tree");
        Assert.True(File.Exists(Path.Combine(p.Path, "repo", "HEAD")), "repo/ is the repository the releases share");

        var v2 = repo.WriteSleeper("v2", h.StateDir).CommitAndPush("v2");
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
        var v3 = repo.WriteSleeper("v3", h.StateDir).CommitAndPush("v3");
        var third = h.Deploy("app");
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, third);

        // run.sh ran inside the new release (it serves that release's VERSION), which current now names.
        Assert.Equal("v3", h.Serving);
        Assert.Equal("releases/" + ReleaseHarness.ReleaseOf(p, v3), ReleaseHarness.Current(p));
        Assert.Equal("v3", File.ReadAllText(Path.Combine(p.Path, "current", "VERSION")).Trim());
        // Two kept: v1's release is gone, v2's stays as it was.
        var kept = ReleaseHarness.ReleaseDirectories(p);
        Assert.Equal(new[] { ReleaseHarness.ReleaseOf(p, v2), ReleaseHarness.ReleaseOf(p, v3) }, kept);
        Assert.Equal("v2", File.ReadAllText(Path.Combine(p.Path, "releases", kept[0], "VERSION")).Trim());
        Assert.Contains("pruned", h.Log(third));
        Assert.DoesNotContain(v1[..12], Run.Command("git", null, "-c", "safe.directory=*", "-C", Path.Combine(p.Path, "repo"), "worktree", "list"));
    }

    [Fact]
    public void Pruning_runs_while_the_new_release_is_checked_and_keeps_what_the_rollback_needs()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var v1 = repo.WriteSleeper("v1", h.StateDir).CommitAndPush("v1");
        var p = h.RegisterWithReleases(repo, keep: 2);
        h.Deploy("app");
        var v2 = repo.WriteSleeper("v2", h.StateDir).CommitAndPush("v2");
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));

        // Beside the unhealthy v3's checks, v1's release goes (the two newest stay); v2's, current and last good, stays
        // for the rollback, which switches back to it without git.
        var v3 = repo.WriteSleeper("v3", h.StateDir, healthy: false).CommitAndPush("v3");
        var bad = h.Deploy("app");

        DeploymentAssert.Status(h, DeploymentStatus.RolledBack, bad);
        Assert.Equal("v2", h.Serving);
        Assert.Equal("releases/" + ReleaseHarness.ReleaseOf(p, v2), ReleaseHarness.Current(p));
        Assert.DoesNotContain(ReleaseHarness.ReleaseDirectories(p), r => r.EndsWith("-" + v1[..12], StringComparison.Ordinal));
        Assert.Contains(ReleaseHarness.ReleaseDirectories(p), r => r.EndsWith("-" + v3[..12], StringComparison.Ordinal));
        var log = h.Log(bad);
        Assert.Contains("pruned", log);
        Assert.True(log.IndexOf("pruned", StringComparison.Ordinal) < log.IndexOf("rolling back", StringComparison.Ordinal), log);
    }

    [Fact]
    public void An_unhealthy_release_never_becomes_current_and_the_old_release_serves_again()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var good = repo.WriteSleeper("v1", h.StateDir).CommitAndPush("good");
        var p = h.RegisterWithReleases(repo);
        h.Deploy("app");

        repo.WriteSleeper("v2", h.StateDir, healthy: false).CommitAndPush("bad");
        var d = h.Deploy("app");

        DeploymentAssert.Status(h, DeploymentStatus.RolledBack, d);
        Assert.Equal("releases/" + ReleaseHarness.ReleaseOf(p, good), ReleaseHarness.Current(p));
        Assert.Equal("v1", h.Serving);
        Assert.Contains("no git and no install", h.Log(d));
    }

    [Fact]
    public void During_a_long_install_the_old_release_keeps_serving_its_own_files()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var port = FreePort.Next();
        repo.WriteWebApp("v1").CommitAndPush("v1");
        h.RegisterWithReleases(repo, port: port);
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));

        var release = Path.Combine(h.StateDir, "release-install");
        repo.WriteWebApp("v2")
            .Write(".cicd/install.sh", $"#!/bin/bash\necho installing\nwhile [ ! -f \"{release}\" ]; do sleep 0.05; done\n").CommitAndPush("v2");
        var d = h.Engine.RequestDeployment(new DeploymentRequest { Project = "app" });
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var until = DateTime.UtcNow.AddSeconds(60);
        while (!h.Log(d).Contains("installing") && DateTime.UtcNow < until) Thread.Sleep(50);
        Assert.Contains("installing", h.Log(d));

        // install.sh of v2 is running in its own release; the old app serves v1's files.
        var during = http.GetStringAsync($"http://127.0.0.1:{port}/VERSION").GetAwaiter().GetResult().Trim();
        File.WriteAllText(release, "");
        d = h.Wait(d);

        Assert.Equal("v1", during);
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, d);
        Assert.Equal("v2", http.GetStringAsync($"http://127.0.0.1:{port}/VERSION").GetAwaiter().GetResult().Trim());
    }

    [Fact]
    public void A_rollback_to_a_kept_release_switches_current_and_restarts_without_git_or_install()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var v1 = repo.WriteSleeper("v1", h.StateDir).Write(".cicd/install.sh", $"#!/bin/bash\necho x >> \"{Installs(h)}\"\n").CommitAndPush("v1");
        var p = h.RegisterWithReleases(repo);
        h.Deploy("app");
        var v2 = repo.WriteSleeper("v2", h.StateDir).CommitAndPush("v2");
        var second = h.Deploy("app");
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, second);
        Assert.Equal(2, InstallCount(h)); // each new release is installed in its own tree
        Assert.True(ReleaseHarness.GitCalls(h, second) > 0);

        // Git could not work now even if it were started: the remote is gone and repo/ has no objects.
        Directory.Delete(repo.BarePath, recursive: true);
        Directory.Move(Path.Combine(p.Path, "repo", "objects"), Path.Combine(p.Path, "repo", "objects.off"));

        var d = h.Wait(h.Engine.Rollback("app", v1, pin: false, force: false));

        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, d);
        Assert.Equal(0, ReleaseHarness.GitCalls(h, d));
        Assert.Equal(2, InstallCount(h));
        Assert.Contains("is kept: switching to it, no git and no install", h.Log(d));
        Assert.Equal("v1", h.Serving);
        Assert.Equal("releases/" + ReleaseHarness.ReleaseOf(p, v1), ReleaseHarness.Current(p));
        Assert.Equal(v1, h.Engine.GetProject("app").CurrentCommit);
        Assert.Equal(v2.Length, v1.Length);
    }

    [Fact]
    public void A_rollback_to_a_pruned_release_rebuilds_it_from_git()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var v1 = repo.WriteSleeper("v1", h.StateDir).CommitAndPush("v1");
        var p = h.RegisterWithReleases(repo, keep: 1);
        h.Deploy("app");
        repo.WriteSleeper("v2", h.StateDir).CommitAndPush("v2");
        h.Deploy("app");
        Assert.Single(ReleaseHarness.ReleaseDirectories(p));

        var d = h.Wait(h.Engine.Rollback("app", v1, pin: false, force: false));

        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, d);
        Assert.True(ReleaseHarness.GitCalls(h, d) > 0);
        Assert.Contains("in the new release", h.Log(d));
        Assert.Equal("v1", h.Serving);
    }

    [Fact]
    public void Shared_paths_survive_deploys_and_are_linked_into_every_release()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.Write("VERSION", "v1\n")
            .Write(".cicd/run.sh", $"#!/bin/bash\ncat VERSION >> storage/seen\necho \"$(cat .env)\" > \"{h.StateDir}/env\"\ncat VERSION > \"{h.StateDir}/serving\"\nexec sleep 300\n")
            .CommitAndPush("v1");
        var p = h.RegisterWithReleases(repo, shared: new[] { ".env", "storage/" });
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
        // The operator fills the shared .env once (as the project's user would).
        File.WriteAllText(Path.Combine(p.Path, "shared", ".env"), "TOKEN=kept");

        repo.Write("VERSION", "v2\n").CommitAndPush("v2");
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));

        Assert.Equal(new[] { "v1", "v2" }, File.ReadAllLines(Path.Combine(p.Path, "shared", "storage", "seen")));
        Assert.Equal("TOKEN=kept", File.ReadAllText(Path.Combine(h.StateDir, "env")).Trim());
        foreach (var r in ReleaseHarness.ReleaseDirectories(p))
        {
            Assert.Equal(Path.Combine(p.Path, "shared", ".env"), new FileInfo(Path.Combine(p.Path, "releases", r, ".env")).LinkTarget);
            Assert.Equal(Path.Combine(p.Path, "shared", "storage"), new DirectoryInfo(Path.Combine(p.Path, "releases", r, "storage")).LinkTarget);
        }
    }

    [Fact]
    public void An_in_place_checkout_is_migrated_on_its_next_deploy_and_kept_as_the_first_release()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var v1 = repo.WriteSleeper("v1", h.StateDir).CommitAndPush("v1");
        var p = h.Register(repo, keepReleases: 0);
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
        File.WriteAllText(Path.Combine(p.Path, "notes.txt"), "kept with the old tree");

        h.Engine.UpdateProject("app", new ProjectUpdate { KeepReleases = 3 });
        var v2 = repo.WriteSleeper("v2", h.StateDir).CommitAndPush("v2");
        var d = h.Deploy("app");

        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, d);
        Assert.Contains("migrated the checkout", h.Log(d));
        var releases = ReleaseHarness.ReleaseDirectories(p);
        Assert.Equal(2, releases.Length);
        var first = Path.Combine(p.Path, "releases", ReleaseHarness.ReleaseOf(p, v1));
        Assert.Equal("kept with the old tree", File.ReadAllText(Path.Combine(first, "notes.txt")));
        Assert.True(Directory.Exists(Path.Combine(first, ".git")));
        Assert.False(File.Exists(Path.Combine(p.Path, "notes.txt")));
        Assert.Equal("releases/" + ReleaseHarness.ReleaseOf(p, v2), ReleaseHarness.Current(p));
        Assert.Equal("v2", h.Serving);

        // The migrated tree is a kept release like any other: rolling back to it needs no git.
        var back = h.Wait(h.Engine.Rollback("app", v1, pin: false, force: false));
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, back);
        Assert.Equal(0, ReleaseHarness.GitCalls(h, back));
        Assert.Equal("v1", h.Serving);
    }

    [Fact]
    public void New_projects_keep_five_releases_and_in_place_is_only_an_explicit_choice()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush("v1");
        Assert.Equal(5, h.Register(repo).KeepReleases);
        Assert.Equal(0, h.Register(repo, name: "inplace", keepReleases: 0).KeepReleases);
        // Both survive a change of something else, and a reopened engine.
        h.Engine.UpdateProject("inplace", new ProjectUpdate { HealthTimeout = TimeSpan.FromSeconds(7) });
        using var again = CicdEngine.Open(h.Options);
        Assert.Equal(5, again.GetProject("app").KeepReleases);
        Assert.Equal(0, again.GetProject("inplace").KeepReleases);
    }

    [Fact]
    public void A_project_registered_before_releases_were_the_default_is_migrated_at_its_next_deploy()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var v1 = repo.WriteSleeper("v1", h.StateDir).CommitAndPush("v1");
        var p = h.Register(repo, keepReleases: 0);
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
        Assert.True(Directory.Exists(Path.Combine(p.Path, ".git")));
        // What an older CicdOps stored for every project: keep_releases 0, the column's default, not a choice.
        using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(h.DataPath, "cicdops.db")}"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "UPDATE projects SET keep_releases = 0 WHERE name = 'app'";
            Assert.Equal(1, cmd.ExecuteNonQuery());
        }
        Assert.Equal(ProjectDefaults.KeepReleases, h.Engine.GetProject("app").KeepReleases);

        var v2 = repo.WriteSleeper("v2", h.StateDir).CommitAndPush("v2");
        var d = h.Deploy("app");

        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, d);
        Assert.Contains("migrated the checkout", h.Log(d));
        Assert.Equal(new[] { ReleaseHarness.ReleaseOf(p, v1), ReleaseHarness.ReleaseOf(p, v2) }, ReleaseHarness.ReleaseDirectories(p));
        Assert.Equal("v2", h.Serving);
    }

    [Fact]
    public void A_pinned_release_is_never_pruned_even_beyond_the_number_kept()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var v1 = repo.WriteSleeper("v1", h.StateDir).CommitAndPush("v1");
        var p = h.RegisterWithReleases(repo, keep: 1);
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
        h.Engine.Pin("app", v1);
        // A rollback-triggered request is one of the ways past a pin (the queue lets it through); the pin stays on v1.
        var v2 = repo.WriteSleeper("v2", h.StateDir).CommitAndPush("v2");
        var d = h.Wait(h.Engine.RequestDeployment(new DeploymentRequest { Project = "app", Commit = v2, Trigger = DeploymentTrigger.Rollback }));
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, d);
        Assert.Equal(v1, h.Engine.GetProject("app").PinnedCommit);

        // Keeping 1, v2's release is the one kept by number; v1's stays because it is pinned.
        Assert.Equal(new[] { ReleaseHarness.ReleaseOf(p, v1), ReleaseHarness.ReleaseOf(p, v2) }, ReleaseHarness.ReleaseDirectories(p));
        var v3 = repo.WriteSleeper("v3", h.StateDir).CommitAndPush("v3");
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Wait(h.Engine.RequestDeployment(new DeploymentRequest { Project = "app", Commit = v3, Trigger = DeploymentTrigger.Rollback })));
        Assert.Equal(new[] { ReleaseHarness.ReleaseOf(p, v1), ReleaseHarness.ReleaseOf(p, v3) }, ReleaseHarness.ReleaseDirectories(p));
    }

    [Fact]
    public void Edits_made_in_the_serving_release_are_saved_as_a_patch_and_that_release_is_left_as_it_was()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var v1 = repo.WriteSleeper("v1", h.StateDir).Write("config.txt", "original\n").CommitAndPush("v1");
        var p = h.Register(repo);
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
        File.WriteAllText(Path.Combine(p.Path, "current", "config.txt"), "hot-fix made on the server\n");

        repo.WriteSleeper("v2", h.StateDir).CommitAndPush("v2");
        var d = h.Deploy("app");

        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, d);
        var patch = Directory.GetFiles(Path.Combine(h.DataPath, "patches", "app")).Single();
        Assert.Contains("+hot-fix made on the server", File.ReadAllText(patch));
        Assert.Contains(patch, h.Log(d));
        Assert.Equal("original", File.ReadAllText(Path.Combine(p.Path, "current", "config.txt")).Trim());
        Assert.Equal("hot-fix made on the server", File.ReadAllText(Path.Combine(p.Path, "releases", ReleaseHarness.ReleaseOf(p, v1), "config.txt")).Trim());
    }

    [Theory]
    [InlineData("../etc/passwd")]
    [InlineData("/etc/passwd")]
    [InlineData("a/../../b")]
    [InlineData(".git/config")]
    [InlineData("x;rm -rf /")]
    public void A_bad_shared_path_is_one_clear_error_and_nothing_is_registered(string shared)
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush();

        var e = Assert.Throws<CicdException>(() => h.RegisterWithReleases(repo, shared: new[] { shared }));

        Assert.Equal("CicdInvalidArgument", e.ErrorId);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Empty(h.Engine.GetProjects());
    }

    [Fact]
    public void Keeping_more_releases_than_allowed_is_refused()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        var e = Assert.Throws<CicdException>(() => h.RegisterWithReleases(repo, keep: 101));
        Assert.Contains("releases to keep", e.Message);
    }
}
