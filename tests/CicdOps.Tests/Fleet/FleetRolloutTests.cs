using CicdOps.Tests.Api;
using CicdOps.Tests.Cli;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Fleet;

/// <summary>
/// Fleet actions end to end on one machine: several servers (own data directories, own `cicdops listen` on its own port,
/// distinct node names) joined to one real PostgreSQL registry; `cicdops fleet deploy|pin|unpin` run from one of them
/// and the listeners' request runners deploy through their own engines. Health is real: a node is made unhealthy for v2
/// by a marker file in its project path, which v2's health.sh checks.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class FleetRolloutTests
{
    private readonly PostgresCluster _pg;
    public FleetRolloutTests(PostgresCluster pg) { _pg = pg; }

    /// <summary>Servers named a-…, b-…, c-… (the canary is the first by name), each hosting <paramref name="project"/> at v1 unless told otherwise.</summary>
    internal sealed class Fleet : IDisposable
    {
        public readonly TestRepository Repo = new();
        public readonly List<ListenerNode> Nodes = new();
        public readonly List<string> Names = new();
        public string V1 = "", V2 = "";

        public Fleet(PostgresCluster pg, int count, string project = "shop", int hosting = int.MaxValue, bool listen = true, bool deploy = true)
        {
            var db = pg.CreateDatabase();
            var suffix = Guid.NewGuid().ToString("N")[..6];
            V1 = WriteVersion("v1", healthyEverywhere: true).CommitAndPush("v1");
            for (var i = 0; i < count; i++)
            {
                var node = new ListenerNode(new CliHarness());
                Nodes.Add(node);
                var name = $"{(char)('a' + i)}-{suffix}";
                Names.Add(name);
                if (i < hosting)
                {
                    node.Cli.Add(Repo, project);
                    if (deploy) node.Cli.Run("deploy", project).ShouldExit(0);
                }
                else node.Cli.Add(Repo, "other-" + i);
                node.Cli.Run("fleet", "join", "--registry", pg.Uri(db), "--name", name, "--interval", "0.3").ShouldExit(0);
                if (listen) node.StartListener();
            }
            V2 = WriteVersion("v2", healthyEverywhere: false).CommitAndPush("v2");
        }

        /// <summary>v1's health.sh passes everywhere; v2's fails where the project's path holds a file named `unhealthy`.</summary>
        private TestRepository WriteVersion(string version, bool healthyEverywhere)
        {
            Repo.Write("VERSION", version + "\n");
            Repo.Write(".cicd/run.sh", "#!/bin/bash\nexec sleep 300\n");
            // Releases: scripts run in <path>/releases/<release>, so the marker is two levels up.
            Repo.Write(".cicd/health.sh", healthyEverywhere ? "#!/bin/bash\nexit 0\n" : "#!/bin/bash\ntest ! -e ../../unhealthy\n");
            return Repo;
        }

        public void MakeUnhealthy(int node, string project = "shop") =>
            File.WriteAllText(Path.Combine(Nodes[node].Cli.TreePath(project), "unhealthy"), "v2 fails its health check here\n");

        public Project Project(int node, string project = "shop") => Nodes[node].Cli.Projects().Single(p => p.Name == project);

        public void Dispose()
        {
            foreach (var n in Nodes) n.Dispose();
            Repo.Dispose();
        }
    }

    private static FleetRollout Rollout(CliResult r) => r.Json<FleetRollout>();

    [Fact]
    public void A_fleet_deploy_from_any_node_reaches_every_node_that_hosts_the_project_and_records_who_asked()
    {
        using var fleet = new Fleet(_pg, 3, hosting: 2);

        // Asked from the node that does not host it.
        var r = fleet.Nodes[2].Cli.Run("fleet", "deploy", "shop", "--json").ShouldExit(0);

        var rollout = Rollout(r);
        Assert.Equal((FleetRolloutStatus.Succeeded, FleetAction.Deploy, false), (rollout.Status, rollout.Action, rollout.Waves));
        Assert.EndsWith("@" + fleet.Names[2], rollout.RequestedBy);
        Assert.Equal(new[] { fleet.Names[0], fleet.Names[1] }, rollout.Targets.Select(t => t.Node));
        Assert.All(rollout.Targets, t =>
        {
            Assert.Equal((FleetTargetStatus.Succeeded, 1, fleet.V1, fleet.V2), (t.Status, t.Wave, t.PreviousCommit, t.ResultCommit));
            Assert.NotNull(t.DeploymentId);
        });
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal((fleet.V2, ProjectStatus.Healthy), (fleet.Project(i).CurrentCommit, fleet.Project(i).Status));
            var d = fleet.Nodes[i].Cli.Deployments("shop").First();
            Assert.Equal((rollout.Targets[i].DeploymentId, DeploymentStatus.Succeeded, fleet.V2), (d.Id, d.Status, d.Commit));
        }

        // Recorded in the registry: any node lists and shows it.
        var list = fleet.Nodes[0].Cli.Run("fleet", "rollouts").ShouldExit(0).StdOut;
        Assert.Matches($@"{rollout.Id}\s+.*root@{fleet.Names[2]}\s+Deploy\s+shop\s+-\s+1\s+2/2\s+Succeeded", list);
        var shown = fleet.Nodes[1].Cli.Run("fleet", "rollout", rollout.Id).ShouldExit(0).StdOut;
        Assert.Contains($"Requested by:", shown);
        Assert.Matches($@"1\s+{fleet.Names[0]}\s+Action\s+Succeeded\s+{fleet.V1[..12]}\s+{fleet.V2[..12]}", shown);
    }

    [Fact]
    public void A_rollout_in_waves_stops_on_an_unhealthy_canary()
    {
        using var fleet = new Fleet(_pg, 3);
        fleet.MakeUnhealthy(0);

        var r = fleet.Nodes[1].Cli.Run("fleet", "deploy", "shop", "--waves", "--wave-size", "50", "--rollback-on-failure", "--json").ShouldExit(4);

        // RolledBack: every node that took the rollout serves what it served before (here the canary's own engine put v1 back).
        var rollout = Rollout(r);
        Assert.Equal(FleetRolloutStatus.RolledBack, rollout.Status);
        Assert.StartsWith($"wave 1 of 2 failed: {fleet.Names[0]}: Failed (deployment ", rollout.Reason);
        Assert.Contains("RolledBack", rollout.Reason);
        Assert.Equal(new[] { (fleet.Names[0], 1, FleetTargetStatus.Failed), (fleet.Names[1], 2, FleetTargetStatus.Skipped), (fleet.Names[2], 2, FleetTargetStatus.Skipped) },
            rollout.Targets.Select(t => (t.Node, t.Wave, t.Status)));
        // The canary's engine put v1 back itself; nothing else to revert, and the other nodes were never asked.
        Assert.DoesNotContain(rollout.Targets, t => t.Kind == FleetTargetKind.Revert);
        for (var i = 0; i < 3; i++) Assert.Equal(fleet.V1, fleet.Project(i).CurrentCommit);
        Assert.Single(fleet.Nodes[1].Cli.Deployments("shop"));
        Assert.Single(fleet.Nodes[2].Cli.Deployments("shop"));
    }

    [Fact]
    public void With_rollback_on_failure_a_failed_wave_puts_the_nodes_already_done_back_on_what_they_served()
    {
        using var fleet = new Fleet(_pg, 3);
        fleet.MakeUnhealthy(1);

        // 3 nodes, 50 %: the canary (a), then b and c together.
        var r = fleet.Nodes[0].Cli.Run("fleet", "deploy", "shop", "--waves", "--wave-size", "50", "--rollback-on-failure", "--json").ShouldExit(4);

        var rollout = Rollout(r);
        Assert.Equal(FleetRolloutStatus.RolledBack, rollout.Status);
        Assert.StartsWith($"wave 2 of 2 failed: {fleet.Names[1]}: Failed", rollout.Reason);
        var actions = rollout.Targets.Where(t => t.Kind == FleetTargetKind.Action).ToList();
        Assert.Equal(new[] { FleetTargetStatus.Succeeded, FleetTargetStatus.Failed, FleetTargetStatus.Succeeded }, actions.Select(t => t.Status));
        // Later waves deploy the commit the canary deployed.
        Assert.Equal(new[] { null, fleet.V2, fleet.V2 }, actions.Select(t => t.Commit));
        var reverts = rollout.Targets.Where(t => t.Kind == FleetTargetKind.Revert).ToList();
        Assert.Equal(new[] { fleet.Names[0], fleet.Names[2] }, reverts.Select(t => t.Node));
        Assert.All(reverts, t => Assert.Equal((FleetTargetStatus.Succeeded, fleet.V1, fleet.V1), (t.Status, t.Commit, t.ResultCommit)));
        for (var i = 0; i < 3; i++) Assert.Equal((fleet.V1, ProjectStatus.Healthy), (fleet.Project(i).CurrentCommit, fleet.Project(i).Status));
        Assert.Equal(DeploymentTrigger.Rollback, fleet.Nodes[2].Cli.Deployments("shop").First().Trigger);
    }

    [Fact]
    public void A_node_that_is_down_fails_its_wave_when_the_wave_times_out_and_says_why()
    {
        using var fleet = new Fleet(_pg, 2);
        fleet.Nodes[1].Kill();

        var r = fleet.Nodes[0].Cli.Run("fleet", "deploy", "shop", "--wave-timeout", "8", "--json").ShouldExit(3);

        var rollout = Rollout(r);
        Assert.Equal(FleetRolloutStatus.Failed, rollout.Status);
        Assert.Equal(FleetTargetStatus.Succeeded, rollout.Targets[0].Status);
        var down = rollout.Targets[1];
        Assert.Equal(FleetTargetStatus.TimedOut, down.Status);
        Assert.StartsWith("no outcome within 8 s: the node never took the request (node Stale, last seen ", down.Reason);
        Assert.Contains($"{fleet.Names[1]}: TimedOut", rollout.Reason);
        Assert.Equal(fleet.V1, fleet.Project(1).CurrentCommit);

        // Back up, it does not run what the rollout gave up on.
        fleet.Nodes[1].StartListener();
        Thread.Sleep(2000);
        Assert.Single(fleet.Nodes[1].Cli.Deployments("shop"));
    }

    [Fact]
    public void A_rollout_whose_driver_was_killed_is_abandoned_when_the_rollouts_are_next_listed_and_its_unasked_node_never_runs_it()
    {
        using var fleet = new Fleet(_pg, 2);
        fleet.Nodes[1].Kill(); // its request stays unanswered, so the driver waits in wave 1

        using var driver = fleet.Nodes[0].Cli.Start("fleet", "deploy", "shop", "--wave-timeout", "600");
        FleetRollout? running = null;
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (running is null)
        {
            Assert.True(DateTime.UtcNow < deadline, "the rollout never reached its wave");
            if (driver.HasExited) Assert.Fail("the driver ended: " + driver.StandardError.ReadToEnd());
            running = fleet.Nodes[0].Cli.Run("fleet", "rollouts", "--json").ShouldExit(0).Json<List<FleetRollout>>()
                .SingleOrDefault(r => r.Targets.Any(t => t.Node == fleet.Names[1] && t.Status == FleetTargetStatus.Requested));
            if (running is null) Thread.Sleep(200);
        }
        Assert.Equal(FleetRolloutStatus.Running, running.Status);
        Assert.Equal((fleet.Names[0], driver.Id), (running.Driver!.Node, running.Driver.Pid));

        driver.Kill(); // SIGKILL: no chance to record anything
        driver.WaitForExit();
        var listed = fleet.Nodes[0].Cli.Run("fleet", "rollouts", "--json").ShouldExit(0).Json<List<FleetRollout>>().Single(r => r.Id == running.Id);

        Assert.Equal(FleetRolloutStatus.Abandoned, listed.Status);
        Assert.Equal($"driver {fleet.Names[0]}/{driver.Id} is gone: its process ended without finishing the rollout", listed.Reason);
        var down = listed.Targets.Single(t => t.Node == fleet.Names[1]);
        Assert.Equal((FleetTargetStatus.Skipped, "not asked: the rollout was abandoned"), (down.Status, down.Reason));
        Assert.Contains("Abandoned", fleet.Nodes[0].Cli.Run("fleet", "rollout", running.Id).ShouldExit(0).StdOut);

        // Back up, the node does not run what the abandoned rollout had asked of it.
        fleet.Nodes[1].StartListener();
        Thread.Sleep(2000);
        Assert.Single(fleet.Nodes[1].Cli.Deployments("shop"));
    }

    [Fact]
    public void Pin_and_unpin_reach_every_node()
    {
        using var fleet = new Fleet(_pg, 2);

        var pin = Rollout(fleet.Nodes[0].Cli.Run("fleet", "pin", "shop", "--commit", fleet.V1[..10], "--json").ShouldExit(0));
        Assert.Equal((FleetRolloutStatus.Succeeded, FleetAction.Pin), (pin.Status, pin.Action));
        for (var i = 0; i < 2; i++) Assert.Equal(fleet.V1, fleet.Project(i).PinnedCommit);

        // Pinned: a fleet deploy is refused on each node (Skipped), and says so.
        var refused = Rollout(fleet.Nodes[0].Cli.Run("fleet", "deploy", "shop", "--json").ShouldExit(3));
        Assert.All(refused.Targets, t => Assert.Contains("Skipped", t.Reason));

        Rollout(fleet.Nodes[1].Cli.Run("fleet", "unpin", "shop", "--json").ShouldExit(0));
        for (var i = 0; i < 2; i++) Assert.Null(fleet.Project(i).PinnedCommit);
    }

    [Theory]
    [InlineData("fleet", "deploy", "shop", "--wave-size", "0")]
    [InlineData("fleet", "deploy", "shop", "--wave-size", "101")]
    [InlineData("fleet", "deploy", "shop", "--wave-timeout", "0")]
    [InlineData("fleet", "deploy", "shop", "--commit", "xyz")]
    [InlineData("fleet", "deploy", "Not_A_Name")]
    [InlineData("fleet", "deploy", "nowhere")]
    [InlineData("fleet", "rollout", "not-hex")]
    [InlineData("fleet", "rollout", "abcdef012345")]
    public void Bad_fleet_actions_are_one_line_errors_and_record_nothing(params string[] args)
    {
        using var fleet = new Fleet(_pg, 1, listen: false, deploy: false);
        var r = fleet.Nodes[0].Cli.Run(args).ShouldExit(1);
        Assert.Single(r.ErrLines);
        Assert.Contains(args.Contains("--wave-size") ? "--wave-size" : args.Contains("--wave-timeout") ? "--wave-timeout" : "", r.StdErr);
        Assert.Equal("[]", fleet.Nodes[0].Cli.Run("fleet", "rollouts", "--json").ShouldExit(0).StdOut.Trim());
    }

    [Fact]
    public void A_node_outside_a_fleet_is_told_to_join_one()
    {
        using var cli = new CliHarness();
        var r = cli.Run("fleet", "deploy", "shop").ShouldExit(1);
        Assert.Contains("not in a fleet", r.StdErr);
    }
}
