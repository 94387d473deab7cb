using CicdOps.Fleet;
using CicdOps.Fleet.Rollouts;

namespace CicdOps.Tests.Fleet;

/// <summary>Fleet actions (rollouts and per-node requests): the same on every backend.</summary>
public abstract partial class FleetRegistryContract
{
    protected static FleetRollout Rollout(string id, string project, params (string Node, int Wave)[] targets) => new()
    {
        Id = id, Project = project, Action = FleetAction.Deploy, Commit = "abc1234", RequestedBy = "root@alpha", RequestedAt = Millis(DateTimeOffset.UtcNow),
        Waves = true, WaveSize = 50, RollbackOnFailure = true, WaveTimeout = TimeSpan.FromSeconds(90), Status = FleetRolloutStatus.Running,
        Targets = targets.Select(t => Target(id, t.Node, t.Wave, project)).ToList(),
    };

    protected static FleetRolloutTarget Target(string rollout, string node, int wave, string project = "web") => new()
    {
        RolloutId = rollout, NodeId = node, Node = "node-" + node, Project = project, Kind = FleetTargetKind.Action, Action = FleetAction.Deploy,
        Commit = "abc1234", Wave = wave, Status = FleetTargetStatus.Waiting,
    };

    private static IFleetRolloutStore Store(IFleetRegistry r) => Assert.IsAssignableFrom<IFleetRolloutStore>(r);

    [Fact]
    public async Task A_rollout_is_recorded_with_who_asked_its_waves_and_targets()
    {
        await using var r = await NewRegistryAsync();
        var s = Store(r);
        var rollout = Rollout("0000000000a1", "web", ("n2", 2), ("n1", 1), ("n3", 2));
        await s.CreateRolloutAsync(rollout, None);
        await s.CreateRolloutAsync(Rollout("0000000000b2", "api", ("n1", 1)) with { RequestedAt = rollout.RequestedAt.AddSeconds(1) }, None);

        var back = (await s.GetRolloutAsync("0000000000a1", None))!;
        Assert.Equal(rollout with { Targets = back.Targets }, back);
        Assert.Equal(new[] { ("n1", 1), ("n2", 2), ("n3", 2) }, back.Targets.Select(t => (t.NodeId, t.Wave)));
        Assert.Equal(Target("0000000000a1", "n2", 2), back.Targets[1]);
        Assert.Equal(2, back.WaveCount);
        Assert.Null(await s.GetRolloutAsync("ffffffffffff", None));
        Assert.Equal(new[] { "0000000000b2", "0000000000a1" }, (await s.GetRolloutsAsync(null, 10, None)).Select(x => x.Id));
        Assert.Equal(new[] { "0000000000a1" }, (await s.GetRolloutsAsync("web", 10, None)).Select(x => x.Id));
        Assert.Single(await s.GetRolloutsAsync(null, 1, None));

        await s.FinishRolloutAsync("0000000000a1", FleetRolloutStatus.RolledBack, "wave 2 of 2 failed", None);
        var done = (await s.GetRolloutAsync("0000000000a1", None))!;
        Assert.Equal((FleetRolloutStatus.RolledBack, "wave 2 of 2 failed"), (done.Status, done.Reason));
        Assert.NotNull(done.FinishedAt);
    }

    [Fact]
    public async Task A_request_is_pending_for_its_node_only_and_is_claimed_once()
    {
        await using var r = await NewRegistryAsync();
        var s = Store(r);
        await s.CreateRolloutAsync(Rollout("0000000000c3", "web", ("n1", 1), ("n2", 2)), None);
        Assert.Empty(await s.PendingRequestsAsync("n1", None));

        var asked = Target("0000000000c3", "n1", 1) with { Status = FleetTargetStatus.Requested, RequestedAt = Millis(DateTimeOffset.UtcNow) };
        await s.SaveTargetsAsync(new[] { asked }, None);
        Assert.Empty(await s.PendingRequestsAsync("n2", None));
        var pending = Assert.Single(await s.PendingRequestsAsync("n1", None));
        Assert.Equal(asked, pending);

        Assert.True(await s.ClaimAsync(pending, "0ld5ha", None));
        Assert.False(await s.ClaimAsync(pending, "0ld5ha", None));
        Assert.Empty(await s.PendingRequestsAsync("n1", None));

        var outcome = pending with { Status = FleetTargetStatus.Succeeded, ResultCommit = "abc1234ffff", DeploymentId = 17 };
        Assert.True(await s.ReportAsync(outcome, None));
        Assert.False(await s.ReportAsync(outcome with { Status = FleetTargetStatus.Failed }, None));
        var t = (await s.GetRolloutAsync("0000000000c3", None))!.Targets.Single(x => x.NodeId == "n1");
        Assert.Equal((FleetTargetStatus.Succeeded, "0ld5ha", "abc1234ffff", 17L), (t.Status, t.PreviousCommit, t.ResultCommit, t.DeploymentId ?? 0));
        Assert.NotNull(t.StartedAt);
        Assert.NotNull(t.FinishedAt);
    }

    [Fact]
    public async Task A_request_the_driver_gave_up_on_is_never_claimed_and_a_node_report_is_never_overwritten()
    {
        await using var r = await NewRegistryAsync();
        var s = Store(r);
        await s.CreateRolloutAsync(Rollout("0000000000d4", "web", ("n1", 1), ("n2", 1)), None);
        var a = Target("0000000000d4", "n1", 1) with { Status = FleetTargetStatus.Requested };
        var b = Target("0000000000d4", "n2", 1) with { Status = FleetTargetStatus.Requested };
        await s.SaveTargetsAsync(new[] { a, b }, None);

        await s.SaveTargetsAsync(new[] { a with { Status = FleetTargetStatus.TimedOut, Reason = "no outcome" } }, None);
        Assert.False(await s.ClaimAsync(a, null, None));

        Assert.True(await s.ClaimAsync(b, null, None));
        Assert.True(await s.ReportAsync(b with { Status = FleetTargetStatus.Failed, Reason = "deployment 3 RolledBack" }, None));
        await s.SaveTargetsAsync(new[] { b with { Status = FleetTargetStatus.TimedOut, Reason = "late" } }, None);

        var targets = (await s.GetRolloutAsync("0000000000d4", None))!.Targets;
        Assert.Equal((FleetTargetStatus.TimedOut, "no outcome"), (targets[0].Status, targets[0].Reason));
        Assert.Equal((FleetTargetStatus.Failed, "deployment 3 RolledBack"), (targets[1].Status, targets[1].Reason));
    }

    [Fact]
    public async Task A_revert_is_a_second_target_of_the_same_node()
    {
        await using var r = await NewRegistryAsync();
        var s = Store(r);
        await s.CreateRolloutAsync(Rollout("0000000000e5", "web", ("n1", 1)), None);
        var revert = Target("0000000000e5", "n1", 1) with
        {
            Kind = FleetTargetKind.Revert, Action = FleetAction.Rollback, Commit = "0ld5ha", Status = FleetTargetStatus.Requested,
        };
        await s.SaveTargetsAsync(new[] { revert }, None);

        var all = (await s.GetRolloutAsync("0000000000e5", None))!.Targets;
        Assert.Equal(new[] { FleetTargetKind.Action, FleetTargetKind.Revert }, all.Select(t => t.Kind));
        Assert.Equal(revert, Assert.Single(await s.PendingRequestsAsync("n1", None)));
    }

    [Fact]
    public async Task A_rollout_whose_driver_went_silent_is_abandoned_once_its_unasked_targets_skipped_and_its_running_one_still_reports()
    {
        await using var r = await NewRegistryAsync();
        var s = Store(r);
        var silent = new FleetDriverProcess { NodeId = "far", Node = "alpha", Pid = 4242, ProcessStartTime = 99, SeenAt = Millis(DateTimeOffset.UtcNow.AddMinutes(-5)) };
        var rollout = Rollout("000000000a07", "web", ("n1", 1), ("n2", 1), ("n3", 2)) with { Driver = silent };
        await s.CreateRolloutAsync(rollout, None);
        Assert.Equal(silent, (await s.GetRolloutAsync("000000000a07", None))!.Driver);
        var fresh = silent with { SeenAt = Millis(DateTimeOffset.UtcNow) };
        await s.CreateRolloutAsync(Rollout("000000000b08", "api", ("n1", 1)) with { Driver = fresh }, None);
        await s.CreateRolloutAsync(Rollout("000000000c09", "old", ("n1", 1)), None); // an older CicdOps's: no driver recorded
        var running = Target("000000000a07", "n1", 1) with { Status = FleetTargetStatus.Requested };
        await s.SaveTargetsAsync(new[] { running, Target("000000000a07", "n2", 1) with { Status = FleetTargetStatus.Requested } }, None);
        Assert.True(await s.ClaimAsync(running, null, None));
        Assert.Equal(new[] { "000000000a07", "000000000b08", "000000000c09" }, (await s.RunningRolloutsAsync(None)).Select(x => x.Id).Order());

        var ended = await AbandonedRollouts.EndAsync(s, localNodeId: "elsewhere", None);

        var (id, reason) = Assert.Single(ended);
        Assert.Equal("000000000a07", id);
        Assert.StartsWith("driver alpha/4242 is gone: not heard from since ", reason);
        var back = (await s.GetRolloutAsync(id, None))!;
        Assert.Equal((FleetRolloutStatus.Abandoned, reason), (back.Status, back.Reason));
        Assert.NotNull(back.FinishedAt);
        Assert.Equal(new[] { FleetTargetStatus.Running, FleetTargetStatus.Skipped, FleetTargetStatus.Skipped }, back.Targets.Select(t => t.Status));
        Assert.Empty(await s.PendingRequestsAsync("n2", None)); // a node no longer takes what was asked of it
        Assert.True(await s.ReportAsync(running with { Status = FleetTargetStatus.Succeeded }, None)); // what a node took still reports
        Assert.Equal(FleetRolloutStatus.Running, (await s.GetRolloutAsync("000000000b08", None))!.Status);
        Assert.Equal(FleetRolloutStatus.Running, (await s.GetRolloutAsync("000000000c09", None))!.Status);

        // Once only; a finish that comes late (a driver that was only cut off) leaves it as it ended; a heartbeat does nothing.
        Assert.Empty(await AbandonedRollouts.EndAsync(s, "elsewhere", None));
        await s.FinishRolloutAsync(id, FleetRolloutStatus.Succeeded, null, None);
        await s.TouchDriverAsync(id, DateTimeOffset.UtcNow, None);
        back = (await s.GetRolloutAsync(id, None))!;
        Assert.Equal((FleetRolloutStatus.Abandoned, silent.SeenAt), (back.Status, back.Driver!.SeenAt));
    }

    [Fact]
    public async Task A_heartbeat_keeps_a_driver_alive_and_a_dead_driver_process_on_this_node_is_gone_at_once()
    {
        await using var r = await NewRegistryAsync();
        var s = Store(r);
        using var child = System.Diagnostics.Process.Start("sleep", "60");
        var stat = File.ReadAllText($"/proc/{child.Id}/stat");
        var start = long.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19], System.Globalization.CultureInfo.InvariantCulture);
        var driver = new FleetDriverProcess { NodeId = "here", Node = "alpha", Pid = child.Id, ProcessStartTime = start, SeenAt = Millis(DateTimeOffset.UtcNow.AddSeconds(-50)) };
        await s.CreateRolloutAsync(Rollout("000000000d10", "web", ("n1", 1)) with { Driver = driver }, None);

        var beat = Millis(DateTimeOffset.UtcNow);
        await s.TouchDriverAsync("000000000d10", beat, None);
        Assert.Equal(beat, (await s.GetRolloutAsync("000000000d10", None))!.Driver!.SeenAt);
        Assert.Empty(await AbandonedRollouts.EndAsync(s, "here", None, staleAfter: TimeSpan.FromSeconds(30))); // alive, and heard from

        child.Kill();
        child.WaitForExit();
        Assert.Empty(await AbandonedRollouts.EndAsync(s, "elsewhere", None)); // another node cannot see the process: it waits for silence
        var (_, reason) = Assert.Single(await AbandonedRollouts.EndAsync(s, "here", None));
        Assert.Equal($"driver alpha/{child.Id} is gone: its process ended without finishing the rollout", reason);
        Assert.Equal(FleetRolloutStatus.Abandoned, (await s.GetRolloutAsync("000000000d10", None))!.Status);
    }

    [Fact]
    public async Task A_node_watching_for_requests_is_woken_when_one_is_written_for_it()
    {
        await using var writer = await NewRegistryAsync();
        await using var node = await ReopenAsync(writer);
        await Store(writer).CreateRolloutAsync(Rollout("0000000000f6", "web", ("n1", 1)), None);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var feed = Store(node).WatchRequestsAsync("n1", cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await feed.MoveNextAsync()); // listening now

        var next = feed.MoveNextAsync().AsTask();
        await Store(writer).SaveTargetsAsync(new[] { Target("0000000000f6", "n1", 1) with { Status = FleetTargetStatus.Requested } }, None);
        Assert.True(await next);
        Assert.Single(await Store(node).PendingRequestsAsync("n1", None));
    }
}
