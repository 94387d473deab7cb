using CicdOps.Engine;
using CicdOps.Engine.Model;
using CicdOps.Tests.Sandbox;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.LeastPrivilege;

/// <summary>
/// Where a project's tree may live, as root: system locations by prefix (links resolved), overlaps,
/// reachability by the project's user, and contents that are not this project's checkout are all refused
/// before anything changes, at registration, at `project set`, and again before a deploy touches the tree.
/// </summary>
public sealed class ProjectPathTests
{
    public static TheoryData<string> SystemLocations => new()
    {
        "/etc/cron.d", "/etc/cicdops-test-app", "/usr/local", "/usr/local/app", "/usr/share/app", "/bin/app", "/sbin/app",
        "/lib/app", "/lib64/app", "/libx32/app", "/boot/app", "/dev/shm/app", "/proc/app", "/sys/app", "/root/app",
        "/run/app", "/var/lib/cicdops/app", "/var/lib/cicdops-home/app", "/var/log/app", "/", "/home", "/srv", "/opt", "/var/www", "/tmp",
    };

    [RootTheory]
    [MemberData(nameof(SystemLocations))]
    public void A_system_location_is_refused_by_prefix(string path)
    {
        using var repo = Repo();
        using var h = new EngineHarness();

        var e = Assert.Throws<CicdException>(() => Register(h, repo, path));

        Assert.Equal(CicdError.InvalidPath, e.Error);
        Assert.Empty(h.Engine.GetProjects());
    }

    [RootTheory]
    [InlineData("/srv")]
    [InlineData("/opt")]
    [InlineData("/var/www")]
    public void A_directory_of_its_own_under_srv_opt_and_var_www_stays_usable(string parent)
    {
        using var repo = Repo();
        using var h = new EngineHarness();
        var path = Path.Combine(parent, "cicdops-test-" + Guid.NewGuid().ToString("N")[..8]);

        var p = Register(h, repo, path);

        Assert.Equal(path, p.Path);
        Assert.False(Directory.Exists(path), "registration changes nothing on disk");
    }

    [RootFact]
    public void A_path_that_leads_into_a_system_location_through_a_symbolic_link_is_refused()
    {
        using var repo = Repo();
        using var h = new EngineHarness();
        var link = Path.Combine(h.Root, "srv-link");
        File.CreateSymbolicLink(link, "/etc");

        Assert.Equal(CicdError.InvalidPath, Assert.Throws<CicdException>(() => Register(h, repo, link)).Error);
        Assert.Equal(CicdError.InvalidPath, Assert.Throws<CicdException>(() => Register(h, repo, Path.Combine(link, "cron.d"))).Error);
        Assert.Equal(CicdError.InvalidPath, Assert.Throws<CicdException>(() => Register(h, repo, Path.Combine(link, "new-app"))).Error);
        Assert.Empty(h.Engine.GetProjects());
    }

    [RootFact]
    public void A_link_above_the_tree_swapped_in_after_registration_is_refused_at_deploy_before_anything_changes()
    {
        using var repo = Repo();
        using var h = new EngineHarness();
        var parent = Path.Combine(h.Root, "apps");
        Directory.CreateDirectory(parent);
        var victim = Path.Combine(h.Root, "victim");
        Directory.CreateDirectory(Path.Combine(victim, "app"));
        File.WriteAllText(Path.Combine(victim, "app", "precious"), "root's\n");
        Register(h, repo, Path.Combine(parent, "app"));
        Directory.Delete(parent);
        File.CreateSymbolicLink(parent, victim); // /…/apps → /…/victim: the stored path now leads elsewhere

        var d = h.Deploy("app");

        Assert.Equal(DeploymentStatus.Failed, d.Status);
        Assert.Contains("symbolic link", d.Reason);
        Assert.Equal("0", Owner(Path.Combine(victim, "app", "precious")));
        Assert.Equal("0", Owner(Path.Combine(victim, "app")));
    }

    [RootFact]
    public void A_path_the_projects_user_cannot_reach_is_refused_at_registration_with_the_fix()
    {
        using var repo = Repo();
        using var h = new EngineHarness();
        var closed = Path.Combine(h.Root, "closed");
        Directory.CreateDirectory(closed);
        File.SetUnixFileMode(closed, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute); // 0700, root's

        var e = Assert.Throws<CicdException>(() => Register(h, repo, Path.Combine(closed, "app")));

        Assert.Equal(CicdError.InvalidPath, e.Error);
        Assert.Contains($"'{closed}' is mode 700", e.Message);
        Assert.Contains($"chmod o+x {closed}", e.RecommendedAction);
        Assert.Empty(h.Engine.GetProjects());
        // Opened up (search only), the same path is fine.
        File.SetUnixFileMode(closed, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherExecute);
        Register(h, repo, Path.Combine(closed, "app"));
    }

    [RootFact]
    public void A_non_empty_directory_that_is_no_checkout_is_refused_at_registration()
    {
        using var repo = Repo();
        using var h = new EngineHarness();
        var dir = Path.Combine(h.Root, "cron.d");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "backup"), "0 3 * * * root /usr/local/bin/backup\n");

        var e = Assert.Throws<CicdException>(() => Register(h, repo, dir));

        Assert.Equal(CicdError.InvalidPath, e.Error);
        Assert.Contains("not a checkout of project 'app'", e.Message);
        Assert.Equal("0", Owner(Path.Combine(dir, "backup")));
    }

    [RootFact]
    public void An_accounts_home_directory_is_refused_even_when_empty_and_so_is_a_directory_above_it()
    {
        using var repo = Repo();
        using var h = new EngineHarness();
        var home = Path.Combine(h.Root, "homes", "alice");
        Directory.CreateDirectory(home); // empty: the contents check alone would let it through
        var user = "cicd_home-" + Guid.NewGuid().ToString("N")[..6];
        Run.Command("useradd", null, "--system", "--no-create-home", "--home-dir", home, "--shell", "/usr/sbin/nologin", user);
        try
        {
            var e = Assert.Throws<CicdException>(() => Register(h, repo, home));
            Assert.Contains($"home directory of account '{user}'", e.Message);
            Assert.Equal(CicdError.InvalidPath, Assert.Throws<CicdException>(() => Register(h, repo, Path.Combine(h.Root, "homes"))).Error);
            Register(h, repo, Path.Combine(home, "apps", "app")); // inside it is fine
        }
        finally
        {
            Run.Try("userdel", null, user);
            Run.Try("groupdel", null, user);
        }
    }

    [RootFact]
    public void A_users_own_checkout_is_refused_even_of_the_same_repository()
    {
        using var repo = Repo();
        using var h = new EngineHarness();
        var dir = Path.Combine(h.Root, "alice-app");
        Run.Command("git", h.Root, "clone", "--quiet", repo.Url, dir);
        Run.Command("chown", null, "-R", "65534:65534", dir); // nobody's checkout, not CicdOps'

        var e = Assert.Throws<CicdException>(() => Register(h, repo, dir));

        Assert.Contains("belongs to uid 65534", e.Message);
        Assert.Equal("65534", Owner(Path.Combine(dir, ".git", "HEAD")));
    }

    [RootFact]
    public void Roots_clone_of_the_projects_repository_is_accepted_and_one_of_another_repository_is_not()
    {
        using var repo = Repo();
        using var other = Repo();
        using var h = new EngineHarness();
        var same = Path.Combine(h.Root, "same");
        var different = Path.Combine(h.Root, "different");
        Run.Command("git", h.Root, "clone", "--quiet", repo.Url, same);
        Run.Command("git", h.Root, "clone", "--quiet", other.Url, different);

        Assert.Throws<CicdException>(() => Register(h, repo, different, "app"));
        Register(h, repo, same, "app");

        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
    }

    [RootFact]
    public void A_directory_filled_after_registration_is_refused_at_deploy_before_it_is_chowned()
    {
        using var repo = Repo();
        using var h = new EngineHarness();
        var dir = Path.Combine(h.Root, "late");
        Register(h, repo, dir);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "root-file"), "x\n");

        var d = h.Deploy("app");

        Assert.Equal(DeploymentStatus.Failed, d.Status);
        Assert.Contains("is not empty and is not a checkout", d.Reason);
        Assert.Equal("0", Owner(Path.Combine(dir, "root-file")));
        Assert.Equal("0", Owner(dir));
        Assert.Null(h.Engine.GetProject("app").ServiceUser); // and no account was made for a deploy that could not start
    }

    [RootFact]
    public void A_path_inside_or_above_another_projects_tree_or_the_data_directory_is_refused()
    {
        using var repo = Repo();
        using var h = new EngineHarness();
        var trees = Path.Combine(h.Root, "trees");
        Register(h, repo, Path.Combine(trees, "a"), "a");

        Assert.Equal(CicdError.InvalidPath, Assert.Throws<CicdException>(() => Register(h, repo, Path.Combine(trees, "a", "inner"), "b")).Error);
        Assert.Equal(CicdError.InvalidPath, Assert.Throws<CicdException>(() => Register(h, repo, trees, "b")).Error);
        Assert.Equal(CicdError.InvalidPath, Assert.Throws<CicdException>(() => Register(h, repo, Path.Combine(h.DataPath, "x"), "b")).Error);
        Assert.Equal(CicdError.InvalidPath, Assert.Throws<CicdException>(() => Register(h, repo, h.Root, "b")).Error);
        Assert.Equal(new[] { "a" }, h.Engine.GetProjects().Select(p => p.Name));
    }

    [RootFact]
    public void Project_set_runs_every_check_project_add_runs_and_changes_nothing_when_one_fails()
    {
        using var repo = Repo();
        using var h = new EngineHarness();
        var before = Register(h, repo, Path.Combine(h.Root, "trees", "app"));
        var filled = Path.Combine(h.Root, "filled");
        Directory.CreateDirectory(filled);
        File.WriteAllText(Path.Combine(filled, "f"), "x\n");
        var closed = Path.Combine(h.Root, "closed");
        Directory.CreateDirectory(closed);
        File.SetUnixFileMode(closed, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var link = Path.Combine(h.Root, "usr-link");
        File.CreateSymbolicLink(link, "/usr");

        var refused = new (ProjectUpdate Update, CicdError Error)[]
        {
            (new ProjectUpdate { Path = "/usr/local" }, CicdError.InvalidPath),
            (new ProjectUpdate { Path = "/etc/cron.d" }, CicdError.InvalidPath),
            (new ProjectUpdate { Path = Path.Combine(link, "local") }, CicdError.InvalidPath),
            (new ProjectUpdate { Path = filled }, CicdError.InvalidPath),
            (new ProjectUpdate { Path = Path.Combine(closed, "app") }, CicdError.InvalidPath),
            (new ProjectUpdate { Path = h.DataPath }, CicdError.InvalidPath),
            (new ProjectUpdate { Repository = "file:///nonexistent/cicdops-repo.git" }, CicdError.RepositoryUnreachable),
            (new ProjectUpdate { Branch = "no-such-branch" }, CicdError.InvalidBranch),
            (new ProjectUpdate { SudoCommands = new[] { "/usr/bin/id, ALL" } }, CicdError.InvalidArgument),
        };
        foreach (var (update, error) in refused)
            Assert.Equal(error, Assert.Throws<CicdException>(() => h.Engine.UpdateProject("app", update)).Error);

        var after = h.Engine.GetProject("app");
        Assert.Equal((before.Path, before.Repository, before.Branch), (after.Path, after.Repository, after.Branch));
        Assert.Empty(after.SudoCommands);
        Assert.Equal("0", Owner(Path.Combine(filled, "f")));
    }

    [RootFact]
    public void Project_add_creates_no_account_the_first_deploy_does()
    {
        using var repo = Repo();
        using var h = new EngineHarness();
        var name = "lazy-" + Guid.NewGuid().ToString("N")[..6];

        var p = Register(h, repo, Path.Combine(h.Root, "trees", name), name);

        Assert.Null(p.ServiceUser);
        Assert.True(p.Sandboxed);
        Assert.Empty(Accounts(name));
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy(name));
        var user = h.Engine.GetProject(name).ServiceUser;
        Assert.StartsWith("cicd_" + name + "-", user);
        Assert.Equal(new[] { user }, Accounts(name));
    }

    [RootFact]
    public void Removing_the_service_user_leaves_no_file_owned_by_its_uid()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        // The app leaves files of its own in its tree and its home (the PID file's run directory is there too).
        var temp = Path.Combine("/tmp", "cicdops-test-left-" + Guid.NewGuid().ToString("N")[..8]);
        repo.Write(".cicd/run.sh", $"#!/bin/bash\nmkdir -p uploads && echo x > uploads/u1 && echo y > \"$HOME/cache\" && echo z > {temp}\nexec sleep 300\n")
            .CommitAndPush();
        Register(h, repo, Path.Combine(h.Root, "trees", "app"));
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
        var p = h.Engine.GetProject("app");
        var (uid, _) = LeastPrivilegeTests.Account(p.ServiceUser!);
        var home = Run.Command("getent", null, "passwd", p.ServiceUser!).Trim().Split(':')[5];
        CicdOps.Tests.Engine.QueueTests.WaitFor(() => File.Exists(temp));
        Assert.NotEmpty(OwnedBy(uid, p.Path, home));

        h.Engine.UnregisterProject("app", removeServiceUser: true);

        Assert.NotEqual(0, Run.Try("getent", null, "passwd", p.ServiceUser!).Code);
        Assert.False(Directory.Exists(home));
        var tree = EngineHarness.ServingTree(p);
        Assert.True(File.Exists(Path.Combine(tree, "uploads", "u1")), "the working tree stays");
        Assert.Empty(OwnedBy(uid, p.Path, home));
        Assert.Equal("0", Owner(Path.Combine(tree, "uploads", "u1")));
        Assert.Equal("0", Owner(temp)); // and what it left in /tmp
        File.Delete(temp);
    }

    [RootFact]
    public void Removing_the_service_user_gives_back_the_trees_the_project_was_moved_away_from()
    {
        using var repo = Repo();
        using var h = new EngineHarness();
        // Outside /tmp: removing an account also gives back what it left in /tmp, which would hide a missed tree.
        var trees = Directory.CreateDirectory(Path.Combine("/srv", "cicdops-test-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        try
        {
            var first = Path.Combine(trees, "first");
            Register(h, repo, first);
            DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
            var p = h.Engine.GetProject("app");
            var (uid, _) = LeastPrivilegeTests.Account(p.ServiceUser!);
            h.Engine.UpdateProject("app", new ProjectUpdate { Path = Path.Combine(trees, "second") });
            DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
            Assert.NotEmpty(OwnedBy(uid, first));

            h.Engine.UnregisterProject("app", removeServiceUser: true);

            Assert.Empty(OwnedBy(uid, trees));
            Assert.True(Directory.Exists(Path.Combine(first, "current", ".cicd")), "the old tree stays, given to root");
        }
        finally
        {
            Directory.Delete(trees, recursive: true);
        }
    }

    private static TestRepository Repo()
    {
        var repo = new TestRepository();
        repo.Write(".cicd/run.sh", "#!/bin/bash\nexec sleep 300\n").CommitAndPush();
        return repo;
    }

    private static Project Register(EngineHarness h, TestRepository repo, string path, string name = "app") =>
        h.Engine.RegisterProject(new ProjectSpec
        {
            Name = name, Repository = repo.Url, Path = path, Branch = repo.Branch, HealthTimeout = TimeSpan.FromSeconds(5),
        });

    internal static string Owner(string path) => Run.Command("stat", null, "-c", "%u", path).Trim();

    private static string[] OwnedBy(string uid, params string[] roots) =>
        roots.Where(Directory.Exists)
            .SelectMany(r => Run.Command("find", null, r, "-uid", uid).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            .ToArray();

    private static string[] Accounts(string project) =>
        File.ReadAllLines("/etc/passwd").Select(l => l.Split(':')[0]).Where(n => n.StartsWith("cicd_" + project + "-")).ToArray();
}
