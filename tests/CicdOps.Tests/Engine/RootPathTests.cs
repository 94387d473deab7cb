using CicdOps.Engine;
using CicdOps.Engine.Model;
using CicdOps.Tests.Cli;
using CicdOps.Tests.Sandbox;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Engine;

/// <summary>Paths that only run as root (or matter most there), each with a real deployment.</summary>
[Collection(AloneCollection.Name)]
public sealed class RootPathTests
{
    [Fact]
    public void Untracked_files_in_the_working_tree_survive_a_sync()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        var p = h.Register(repo);
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
        Directory.CreateDirectory(Path.Combine(p.Path, "uploads"));
        File.WriteAllText(Path.Combine(p.Path, "uploads", "avatar.png"), "image bytes");
        File.WriteAllText(Path.Combine(p.Path, ".env"), "DATABASE_URL=postgres://local\n");

        repo.WriteSleeper("v2", h.StateDir).CommitAndPush();
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));

        Assert.Equal("v2", h.Serving);
        Assert.Equal("image bytes", File.ReadAllText(Path.Combine(p.Path, "uploads", "avatar.png")));
        Assert.Equal("DATABASE_URL=postgres://local\n", File.ReadAllText(Path.Combine(p.Path, ".env")));
    }

    [RootFact]
    public void The_local_repository_trust_file_is_root_owned_not_writable_by_the_account_and_removed_after_the_deploy()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var seen = Path.Combine(h.StateDir, "trust-files");
        // install.sh runs as the project's account during the deployment, while the trust file exists.
        repo.WriteSleeper("v1", h.StateDir).Write(".cicd/install.sh", $$"""
            #!/bin/bash
            for f in /tmp/cicdops-gitconfig-{{Environment.ProcessId}}-*; do
              [ -e "$f" ] || continue
              if echo '[core]' >> "$f" 2>/dev/null; then w=writable; else w=readonly; fi
              echo "$f $(stat -c '%u %a' "$f") $w" >> "{{seen}}"
            done
            """).CommitAndPush();
        h.Register(repo);

        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));

        var lines = File.ReadAllLines(seen);
        Assert.NotEmpty(lines);
        foreach (var line in lines)
        {
            var f = line.Split(' ');
            Assert.Equal(("0", "readonly"), (f[1], f[3]));
            Assert.True((Convert.ToInt32(f[2], 8) & 0b000_010_010) == 0, $"{line}: group or others may write");
            Assert.False(File.Exists(f[0]), $"{f[0]} outlived the deployment");
        }
    }

    [Fact]
    public void Removing_a_project_is_refused_while_a_deployment_runs_and_nothing_changes()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).WriteSlowInstall(30, h.StateDir).CommitAndPush();
        h.Register(repo);
        var d = h.Engine.RequestDeployment(new DeploymentRequest { Project = "app" });
        QueueTests.WaitFor(() => File.Exists(Path.Combine(h.StateDir, "install.pid")));

        var e = Assert.Throws<CicdException>(() => h.Engine.UnregisterProject("app", removeServiceUser: true));

        Assert.Contains("deploying", e.Message);
        Assert.Equal("app", h.Engine.GetProject("app").Name);
        Assert.Equal(DeploymentStatus.Running, h.Engine.GetDeployment(d.Id).Status);
        h.Engine.CancelDeployment("app");
        Assert.Equal(DeploymentStatus.Cancelled, h.Wait(d).Status);
    }
}
