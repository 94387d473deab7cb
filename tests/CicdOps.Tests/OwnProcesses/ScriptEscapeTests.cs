using CicdOps.Engine;
using CicdOps.Tests.Engine;
using CicdOps.Tests.Sandbox;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.OwnProcesses;

/// <summary>
/// Nothing install.sh or health.sh starts outlives it: background jobs, and (with cgroup tracking) processes
/// that left the script's session with setsid or a double fork.
/// </summary>
public sealed class ScriptEscapeTests
{
    // A background job in the script's group, and a setsid double fork that leaves it: each records its pid.
    private static string Escapes(string stateDir, string name) => $"""
        sleep 300 </dev/null >/dev/null 2>&1 &
        echo $! > "{stateDir}/{name}-job.pid"
        setsid -f sh -c 'echo $$ > "$1"; exec sleep 300' sh "{stateDir}/{name}-setsid.pid" </dev/null >/dev/null 2>&1
        """;

    [RootFact]
    public void Processes_install_sh_started_in_the_background_or_with_setsid_do_not_outlive_it() =>
        InstallEscapesAreStopped(ProcessTracking.Auto);

    [RootFact]
    public void Under_cgroup_v2_tracking_install_sh_escapes_are_stopped_too() =>
        InstallEscapesAreStopped(ProcessTracking.CgroupV2);

    private static void InstallEscapesAreStopped(ProcessTracking tracking)
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness(new EngineOptions { ProcessTracking = tracking });
        repo.WriteSleeper("v1", h.StateDir)
            .Write(".cicd/install.sh", "#!/bin/bash\n" + Escapes(h.StateDir, "install") + "\nsleep 0.2\n").CommitAndPush();
        h.Register(repo);

        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));

        Assert.True(Processes.IsGone(ReadPid(h, "install-job")), "a background job of install.sh must be stopped when it ends");
        Assert.True(Processes.IsGone(ReadPid(h, "install-setsid")), "a setsid escape from install.sh must be stopped when it ends");
    }

    [RootFact]
    public void Processes_health_sh_started_with_setsid_do_not_outlive_it_and_the_app_keeps_running()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir)
            .Write(".cicd/health.sh", "#!/bin/bash\n" + Escapes(h.StateDir, "health") + $"\nsleep 0.2\ngrep -qx v1 \"{h.StateDir}/serving\"\n")
            .CommitAndPush();
        h.Register(repo);

        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));

        Assert.True(Processes.IsGone(ReadPid(h, "health-job")));
        Assert.True(Processes.IsGone(ReadPid(h, "health-setsid")), "a setsid escape from health.sh must be stopped when it ends");
        Assert.True(Processes.IsRunning(FirstDeployTests.AppPid(h)), "the app is not the health check's: it keeps running");
    }

    private static int ReadPid(EngineHarness h, string name)
    {
        var file = Path.Combine(h.StateDir, name + ".pid");
        QueueTests.WaitFor(() => File.Exists(file) && File.ReadAllText(file).EndsWith('\n'));
        return int.Parse(File.ReadAllText(file).Trim());
    }
}
