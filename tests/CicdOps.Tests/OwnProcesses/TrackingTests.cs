using CicdOps.Engine;
using CicdOps.Engine.Processes;
using CicdOps.Tests.Engine;
using CicdOps.Tests.Sandbox;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.OwnProcesses;

/// <summary>Which mechanism tracks a project's processes, and that the kernel really holds the app there.</summary>
public sealed class TrackingTests
{
    [RootFact]
    public void As_root_with_cgroup_v1_mounted_the_app_runs_in_its_own_cgroup_which_project_remove_deletes()
    {
        if (!File.Exists("/sys/fs/cgroup/pids/cgroup.procs")) Assert.Fail("this host has no cgroup v1 pids hierarchy; the test needs one");
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        h.Register(repo);

        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));

        Assert.Equal("cgroup v1", h.Engine.ProcessTrackingMechanism);
        var tracker = (CgroupTracker)h.Engine.Context.Tracker;
        var unit = tracker.UnitPath(AppUnits.App("app"));
        Assert.StartsWith("/sys/fs/cgroup/pids/cicdops/", unit);
        var pids = File.ReadAllLines(Path.Combine(unit, "cgroup.procs")).Select(int.Parse).ToList();
        Assert.Contains(FirstDeployTests.AppPid(h), pids);

        h.Engine.UnregisterProject("app");
        Assert.False(Directory.Exists(unit), "project remove deletes the app's cgroup");
        Assert.False(Directory.Exists(Path.GetDirectoryName(unit)), "and the data directory's, once no project is left");
    }

    [RootFact]
    public void Cgroup_v2_tracking_holds_the_app_in_the_unified_hierarchy_when_chosen()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness(new EngineOptions { ProcessTracking = ProcessTracking.CgroupV2 });
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        h.Register(repo);

        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));

        Assert.Equal("cgroup v2", h.Engine.ProcessTrackingMechanism);
        var unit = ((CgroupTracker)h.Engine.Context.Tracker).UnitPath(AppUnits.App("app"));
        Assert.True(File.Exists(Path.Combine(unit, "cgroup.controllers")), "a cgroup2 directory");
        Assert.Contains(FirstDeployTests.AppPid(h), File.ReadAllLines(Path.Combine(unit, "cgroup.procs")).Select(int.Parse));
    }

    [RootFact]
    public void The_process_group_fallback_creates_no_cgroup_and_still_stops_the_app_on_the_next_deploy()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness(new EngineOptions { ProcessTracking = ProcessTracking.ProcessGroup });
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        h.Register(repo);
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
        var first = FirstDeployTests.AppPid(h);
        // A new version, so the deploy is healthy only once the new app runs (v1's file would pass at once, and the
        // cleanup could then race the app's launch).
        repo.WriteSleeper("v2", h.StateDir).CommitAndPush();

        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));

        Assert.Equal("process group", h.Engine.ProcessTrackingMechanism);
        Assert.True(Processes.IsGone(first));
        var dataId = CgroupTracker.DataId(h.DataPath);
        Assert.False(Directory.Exists($"/sys/fs/cgroup/pids/cicdops/{dataId}"));
        Assert.False(Directory.Exists($"/sys/fs/cgroup/unified/cicdops/{dataId}"));
    }
}
