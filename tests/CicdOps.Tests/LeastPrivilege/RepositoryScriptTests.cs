using CicdOps.Engine.Model;
using CicdOps.Tests.Sandbox;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.LeastPrivilege;

/// <summary>
/// The repository chooses what .cicd/ holds, so root never opens it: scripts must be regular files at the
/// commit (git's own record, read as the project's user), and the install hash is git's object id.
/// </summary>
public sealed class RepositoryScriptTests
{
    [RootTheory]
    [InlineData(".cicd/run.sh", "/dev/zero")]
    [InlineData(".cicd/install.sh", "/dev/zero")]
    [InlineData(".cicd/health.sh", "/etc/passwd")]
    public void A_script_that_is_a_symbolic_link_fails_the_deploy_at_once_with_the_reason(string script, string target)
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir);
        File.Delete(Path.Combine(repo.WorkPath, script));
        File.CreateSymbolicLink(Path.Combine(repo.WorkPath, script), target);
        repo.CommitAndPush();
        h.Register(repo);

        var d = h.Deploy("app");

        Assert.Equal(DeploymentStatus.Failed, d.Status);
        Assert.Contains($"'{script}' is a symbolic link", d.Reason);
        Assert.Equal("", h.Serving); // nothing ran
    }

    [RootFact]
    public void A_script_linked_to_a_fifo_or_another_projects_file_fails_without_anything_reading_it()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var fifo = Path.Combine(h.Root, "fifo");
        Run.Command("mkfifo", null, fifo);
        repo.WriteSleeper("v1", h.StateDir);
        File.CreateSymbolicLink(Path.Combine(repo.WorkPath, ".cicd", "install.sh"), fifo); // a read would block forever
        repo.CommitAndPush();
        h.Register(repo);

        var d = h.Deploy("app");

        Assert.Equal(DeploymentStatus.Failed, d.Status);
        Assert.Contains("'.cicd/install.sh' is a symbolic link", d.Reason);
    }

    [RootFact]
    public void A_cicd_directory_that_is_a_symbolic_link_fails_the_deploy()
    {
        using var repo = new TestRepository();
        using var other = new TestRepository();
        using var h = new EngineHarness();
        // Another project's scripts, reached through .cicd -> elsewhere.
        var elsewhere = Path.Combine(h.Root, "elsewhere");
        Directory.CreateDirectory(elsewhere);
        File.WriteAllText(Path.Combine(elsewhere, "run.sh"), "#!/bin/bash\nexec sleep 300\n");
        repo.Write("README", "x\n");
        File.CreateSymbolicLink(Path.Combine(repo.WorkPath, ".cicd"), elsewhere);
        repo.CommitAndPush();
        h.Register(repo);

        var d = h.Deploy("app");

        Assert.Equal(DeploymentStatus.Failed, d.Status);
        Assert.Contains("'.cicd' is a symbolic link", d.Reason);
    }

    [RootFact]
    public void The_install_hash_is_gits_object_id_of_install_sh_at_the_deployed_commit()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).Write(".cicd/install.sh", "#!/bin/bash\nexit 0\n");
        var sha = repo.CommitAndPush();
        h.Register(repo);

        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));

        Assert.Equal(repo.Git("rev-parse", sha + ":.cicd/install.sh").Trim(), h.Engine.GetProject("app").InstallScriptHash);
    }
}
