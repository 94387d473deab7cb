using CicdOps.Engine;
using CicdOps.Server.Api;
using CicdOps.Server.Dashboard;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Dashboard;

/// <summary>
/// The fleet page's rows rendered from a real engine and the fleet rows a registry would deliver (data, not a fake
/// registry: the registry itself is tested by the fleet suites): other nodes' projects are listed, read-only, and a stale
/// node is marked in words.
/// </summary>
public sealed class FleetPageTests
{
    [Fact]
    public async Task Other_nodes_projects_from_the_registry_are_listed_and_a_stale_node_is_marked_in_words()
    {
        using var dir = new TempDirectory();
        using var engine = CicdEngine.Open(new EngineOptions { DataPath = dir.Combine("data") });
        await using var history = new TelemetryHistory(() => null);
        var self = engine.GetNodeIdentity();
        var rows = new List<FleetUpdate>
        {
            new() { Kind = FleetUpdateKind.Node, Node = self.Name, NodeId = self.Id },
            new() { Kind = FleetUpdateKind.Node, Node = "web-2", NodeId = "n2", NodeState = FleetNodeState.Stale },
            new() { Kind = FleetUpdateKind.Project, Node = "web-2", NodeId = "n2", NodeState = FleetNodeState.Stale, Project = "<b>api</b>",
                Status = ProjectStatus.Healthy, Health = FleetHealth.Healthy, Commit = "0123456789abcdef", CpuPercent = 12.5 },
        };
        var pages = new DashboardPages(engine, history, rows);
        var html = pages.FleetRows();
        Assert.Contains("&lt;b&gt;api&lt;/b&gt;", html); // escaped, never markup
        Assert.DoesNotContain("<b>api</b>", html);
        Assert.Contains("web-2 <span class=\"badge s-warn\">stale</span>", html);
        Assert.Contains("12.5 %", html);
        Assert.DoesNotContain("/projects/%3Cb%3Eapi", html); // no link: actions run on the node that hosts it
        Assert.Contains("Stale: not reporting", pages.Nodes());
    }
}

/// <summary>The fleet sync forwards the watchdog's events only: an operator's action is not an unhealthy app.</summary>
public sealed class OperatorEventForwardingTests
{
    [Fact]
    public void Operator_events_are_not_forwarded_as_watchdog_events()
    {
        Assert.Null(CicdOps.Fleet.Sync.LocalState.EventKind(CicdEventKind.Operator));
        Assert.Equal(FleetEventKind.AppUnhealthy, CicdOps.Fleet.Sync.LocalState.EventKind(CicdEventKind.Unhealthy));
    }
}
