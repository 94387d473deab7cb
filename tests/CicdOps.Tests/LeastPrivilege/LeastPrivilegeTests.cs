using CicdOps.Engine;
using CicdOps.Engine.Model;
using CicdOps.Tests.Sandbox;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.LeastPrivilege;

/// <summary>Issue 4 through the engine, as root: each project runs as its own account and can reach nothing else.</summary>
public sealed class LeastPrivilegeTests
{
    [RootFact]
    public void Install_run_and_health_run_as_the_projects_own_user_never_root()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var ids = Path.Combine(h.StateDir, "ids");
        repo.Write(".cicd/install.sh", $"#!/bin/bash\necho \"install $(id -u) $(id -g)\" >> \"{ids}\"\n");
        repo.Write(".cicd/run.sh", $"#!/bin/bash\necho \"run $(id -u) $(id -g)\" >> \"{ids}\"\nexec sleep 300\n");
        // Healthy once run.sh has recorded itself.
        repo.Write(".cicd/health.sh", $"#!/bin/bash\ngrep -q '^run ' \"{ids}\" || exit 1\necho \"health $(id -u) $(id -g)\" >> \"{ids}\"\n");
        repo.CommitAndPush();
        var p = h.Register(repo);

        Assert.Null(p.ServiceUser); // made at the first deploy, not at registration
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
        p = h.Engine.GetProject("app");

        Assert.True(h.Engine.IsSandboxed);
        Assert.True(h.Engine.GetProject("app").Sandboxed);
        Assert.StartsWith("cicd_app-", p.ServiceUser);
        var (uid, gid) = Account(p.ServiceUser!);
        Assert.NotEqual("0", uid);
        var lines = File.ReadAllLines(ids);
        foreach (var stage in new[] { "install", "run", "health" })
            Assert.Contains($"{stage} {uid} {gid}", lines);
        Assert.DoesNotContain(lines, l => l.EndsWith(" 0") || l.Contains(" 0 "));
        // git ran as the account too: it owns everything in the tree, .git included.
        Assert.Equal(uid, Run.Command("stat", null, "-c", "%u", Path.Combine(p.Path, "repo", "HEAD")).Trim());
    }

    [RootFact]
    public void Git_runs_as_the_account_so_a_core_fsmonitor_it_planted_in_git_config_never_runs_as_root()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var ran = Path.Combine(h.StateDir, "fsmonitor-uid");
        // The project's own user owns .git: here run.sh plants a command git runs on the next `git status`.
        repo.Write(".cicd/run.sh", $$"""
            #!/bin/bash
            printf '#!/bin/sh\nid -u >> "%s"\n' "{{ran}}" > .git/fsm.sh
            chmod +x .git/fsm.sh
            git config core.fsmonitor "$PWD/.git/fsm.sh"
            exec sleep 300
            """).CommitAndPush();
        // In place: the second deploy runs git status in the tree run.sh changed.
        var p = h.Register(repo, keepReleases: 0);
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
        p = h.Engine.GetProject("app");
        Assert.Contains("fsm.sh", File.ReadAllText(Path.Combine(p.Path, ".git", "config")));

        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));

        Assert.True(File.Exists(ran), "the planted fsmonitor should have run during the second deploy's git status");
        var uids = File.ReadAllLines(ran).Distinct().ToList();
        Assert.Equal(new[] { Account(p.ServiceUser!).Uid }, uids);
    }

    [RootFact]
    public void One_projects_user_cannot_read_another_projects_tree_nor_the_state()
    {
        using var repoA = new TestRepository();
        using var repoB = new TestRepository();
        using var h = new EngineHarness();
        repoA.WriteSleeper("a1", h.StateDir).CommitAndPush();
        repoB.Write(".cicd/run.sh", "#!/bin/bash\nexec sleep 300\n").Write("SECRET.txt", "b's data\n").CommitAndPush();
        var a = h.Register(repoA, "a");
        var b = h.Register(repoB, "b");
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("a"));
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("b"));
        (a, b) = (h.Engine.GetProject("a"), h.Engine.GetProject("b"));
        Assert.NotEqual(a.ServiceUser, b.ServiceUser);

        var (uid, gid) = Account(a.ServiceUser!);
        Assert.Equal(0, AsUser(uid, gid, "cat", Path.Combine(EngineHarness.ServingTree(a), ".cicd", "run.sh")).Code); // its own tree: yes
        Assert.NotEqual(0, AsUser(uid, gid, "cat", Path.Combine(b.Path, "SECRET.txt")).Code);
        Assert.NotEqual(0, AsUser(uid, gid, "ls", b.Path).Code);
        Assert.NotEqual(0, AsUser(uid, gid, "cat", Path.Combine(h.DataPath, "cicdops.db")).Code);
        Assert.NotEqual(0, AsUser(uid, gid, "ls", h.DataPath).Code);
        Assert.Equal("700", Run.Command("stat", null, "-c", "%a", h.DataPath).Trim());
        Assert.Equal("600", Run.Command("stat", null, "-c", "%a", Path.Combine(h.DataPath, "cicdops.db")).Trim());
    }

    [RootFact]
    public void Unregistering_with_removeServiceUser_deletes_the_account_it_created()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        h.Register(repo);
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
        var p = h.Engine.GetProject("app");

        h.Engine.UnregisterProject("app", removeServiceUser: true);

        Assert.NotEqual(0, Run.Try("getent", null, "passwd", p.ServiceUser!).Code);
    }

    [RootFact]
    public void A_failed_registration_creates_no_account()
    {
        using var h = new EngineHarness();
        var before = CicdAccounts();
        Assert.Throws<CicdException>(() => h.Engine.RegisterProject(new ProjectSpec
        {
            Name = "never-registered", Repository = "file:///nonexistent/repo.git", Path = Path.Combine(h.Root, "t"),
        }));
        // A tree the sandbox would refuse to hand over is refused at registration already.
        var e = Assert.Throws<CicdException>(() => h.Engine.RegisterProject(new ProjectSpec
        {
            Name = "never-registered", Repository = "file:///nonexistent/repo.git", Path = "/usr/local",
        }));
        Assert.Equal("CicdInvalidPath", e.ErrorId);
        Assert.Equal(before, CicdAccounts());
    }

    internal static (string Uid, string Gid) Account(string user)
    {
        var f = Run.Command("getent", null, "passwd", user).Trim().Split(':');
        return (f[2], f[3]);
    }

    internal static (int Code, string StdOut, string StdErr) AsUser(string uid, string gid, params string[] argv) =>
        Run.Try("setpriv", "/", new[] { $"--reuid={uid}", $"--regid={gid}", "--clear-groups", "--" }.Concat(argv).ToArray());

    private static string[] CicdAccounts() =>
        File.ReadAllLines("/etc/passwd").Where(l => l.StartsWith("cicd_never-registered-")).Order().ToArray();
}
