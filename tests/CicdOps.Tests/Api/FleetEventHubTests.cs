using CicdOps.Fleet.Watch;
using CicdOps.Server.Api;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Api;

/// <summary>
/// The SSE hub's bounds. Updates are published straight into the hub (its feed is this server's real local watcher)
/// because a reader slow enough to fill its queue needs thousands of changes faster than any real server makes them.
/// </summary>
public sealed class FleetEventHubTests
{
    [Fact]
    public async Task A_client_that_stops_reading_is_closed_when_its_queue_is_full_and_others_go_on()
    {
        using var h = new EngineHarness();
        await using var hub = new FleetEventHub(() => FleetWatcher.Open(h.Engine), new ApiOptions { ClientQueue = 8 }, _ => { });
        var slow = (await hub.SubscribeAsync(null, default))!;
        var reading = (await hub.SubscribeAsync(null, default))!;
        var received = 0;

        for (var i = 0; i < 100; i++)
        {
            hub.Publish(Row(i));
            while (reading.Queue.Reader.TryRead(out _)) received++;
        }

        Assert.True(slow.Overflowed);
        Assert.True(slow.Queue.Reader.Count <= 8, $"the slow client holds {slow.Queue.Reader.Count} updates");
        Assert.False(reading.Overflowed);
        Assert.Equal(100, received);
        Assert.Equal(1, hub.Clients);
    }

    [Fact]
    public async Task The_replay_buffer_is_bounded_and_an_id_it_no_longer_holds_gets_the_fleet_now()
    {
        using var h = new EngineHarness();
        await using var hub = new FleetEventHub(() => FleetWatcher.Open(h.Engine), new ApiOptions { ReplayEvents = 10 }, _ => { });
        var watching = (await hub.SubscribeAsync(null, default))!;
        for (var i = 0; i < 50; i++) hub.Publish(Row(i));
        var ids = new List<long>();
        while (watching.Queue.Reader.TryRead(out var u)) ids.Add(u.Id);

        var recent = (await hub.SubscribeAsync(ids[^3], default))!;
        Assert.Equal(ids[^2..], recent.Initial.Select(u => u.Id));

        var tooOld = (await hub.SubscribeAsync(ids[5], default))!;
        Assert.Contains(tooOld.Initial, u => u.Update.Kind == FleetUpdateKind.Node && u.Update.NodeId == h.Engine.GetNodeIdentity().Id);
        Assert.DoesNotContain(tooOld.Initial, u => u.Update.Project?.StartsWith("p", StringComparison.Ordinal) == true);
    }

    private static FleetUpdate Row(int i) => new()
    {
        Kind = FleetUpdateKind.Project, Node = "n", NodeId = "n", Project = "p" + i, Status = ProjectStatus.Healthy, At = DateTimeOffset.UtcNow,
    };
}
