using System.Diagnostics;
using CicdOps.Engine;
using CicdOps.Tests.Sandbox;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.OwnProcesses;

/// <summary>
/// $CICD_PID_FILE hands the engine a pid; it is checked (alive, the project's) before the engine tracks or
/// ever signals it. As root for real: the forged pids name another project's app and a root process.
/// </summary>
public sealed class PidFileTests
{
    [RootFact]
    public void A_pid_file_naming_another_projects_app_fails_the_deploy_and_that_app_is_never_stopped()
    {
        using var repoA = new TestRepository();
        using var repoB = new TestRepository();
        using var h = new EngineHarness();
        var victimPidFile = Path.Combine(h.StateDir, "b.pid");
        repoB.Write(".cicd/run.sh", $"#!/bin/bash\necho $$ > \"{victimPidFile}\"\nexec sleep 300\n").CommitAndPush();
        h.Register(repoB, name: "b");
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("b"));
        var victim = int.Parse(File.ReadAllText(victimPidFile).Trim());
        // Project a claims b's app as its own, then exits as if it had handed over to a daemon.
        repoA.Write(".cicd/run.sh", $"#!/bin/bash\ncat \"{victimPidFile}\" > \"$CICD_PID_FILE\"\nexit 0\n").CommitAndPush();
        h.Register(repoA, name: "a");

        var d = h.Deploy("a");

        DeploymentAssert.Status(h, DeploymentStatus.Failed, d);
        Assert.Contains($"$CICD_PID_FILE names pid {victim}", d.Reason);
        Assert.Contains("not this project's", d.Reason);
        // The next deploy of a stops a's app: b's must survive it.
        repoA.Write(".cicd/run.sh", "#!/bin/bash\nexec sleep 300\n").CommitAndPush();
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("a"));
        Assert.True(Processes.IsRunning(victim), "another project's app must never be stopped");
    }

    [RootFact]
    public void A_pid_file_naming_a_root_process_fails_the_deploy_and_the_process_survives_every_later_stop()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        using var rootSleep = Process.Start(new ProcessStartInfo("sleep", "300"))!;
        try
        {
            repo.Write(".cicd/run.sh", $"#!/bin/bash\necho {rootSleep.Id} > \"$CICD_PID_FILE\"\nexit 0\n").CommitAndPush();
            h.Register(repo);

            var d = h.Deploy("app");

            DeploymentAssert.Status(h, DeploymentStatus.Failed, d);
            Assert.Contains($"pid {rootSleep.Id} (user root", d.Reason);
            Assert.Contains("it runs as root", d.Reason);
            repo.Write(".cicd/run.sh", "#!/bin/bash\nexec sleep 300\n").CommitAndPush();
            DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
            h.Engine.UnregisterProject("app");
            Assert.False(rootSleep.HasExited, "a root process must never be stopped for a project");
        }
        finally { rootSleep.Kill(); }
    }

    [Fact]
    public void A_pid_file_naming_a_process_that_is_not_running_fails_the_deploy_with_that_reason()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        using var gone = Process.Start(new ProcessStartInfo("true"))!;
        gone.WaitForExit();
        repo.Write(".cicd/run.sh", $"#!/bin/bash\necho {gone.Id} > \"$CICD_PID_FILE\"\nexit 0\n").CommitAndPush();
        h.Register(repo);

        var d = h.Deploy("app");

        DeploymentAssert.Status(h, DeploymentStatus.Failed, d);
        Assert.Contains($"$CICD_PID_FILE names pid {gone.Id}, which is not running", d.Reason);
    }

    [RootFact]
    public void Without_cgroups_a_forged_pid_file_is_refused_too_and_a_real_handover_still_works()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness(new EngineOptions { ProcessTracking = ProcessTracking.ProcessGroup });
        using var rootSleep = Process.Start(new ProcessStartInfo("sleep", "300"))!;
        try
        {
            Assert.Equal("process group", h.Engine.ProcessTrackingMechanism);
            repo.Write(".cicd/run.sh", $"#!/bin/bash\necho {rootSleep.Id} > \"$CICD_PID_FILE\"\nexit 0\n").CommitAndPush();
            h.Register(repo);
            DeploymentAssert.Status(h, DeploymentStatus.Failed, h.Deploy("app"));

            var daemonPid = Path.Combine(h.StateDir, "daemon.pid");
            repo.Write(".cicd/run.sh", $"#!/bin/bash\nsetsid sleep 300 </dev/null >/dev/null 2>&1 &\necho $! > \"$CICD_PID_FILE\"\necho $! > \"{daemonPid}\"\n").CommitAndPush();
            DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
            var daemon = int.Parse(File.ReadAllText(daemonPid).Trim());
            DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
            Assert.True(Processes.IsGone(daemon), "the handed-over daemon (the project's account's) is stopped by the next deploy");
            Assert.False(rootSleep.HasExited);
        }
        finally { rootSleep.Kill(); }
    }
}
