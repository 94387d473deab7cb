using CicdOps.Engine.Fleet;
using CicdOps.Fleet.Sync;

namespace CicdOps.Fleet;

/// <summary>
/// Join, leave and read the fleet, shared by `cicdops fleet …` and the cmdlets, so both front ends decide alike.
/// The `force` hints are the caller's words (`--force` or `-Force`).
/// </summary>
public static class FleetMembershipActions
{
    /// <summary>What joining did: the membership, and why the node is not published yet (null when it is).</summary>
    public sealed record JoinResult(FleetMembership Membership, NodeIdentity Node, string? NotPublished);

    /// <summary>
    /// Checks the URI and name, connects and creates the schema, stores the membership, then publishes the node.
    /// An unreachable registry stores nothing unless <paramref name="force"/>.
    /// </summary>
    public static async Task<JoinResult> JoinAsync(CicdEngine engine, string uri, string? nodeName, TimeSpan? interval, bool force, string forceHint,
        CancellationToken ct)
    {
        RegistryAddress.Parse(uri);
        if (nodeName is not null) NodeIdentity.ValidName(nodeName);
        if (interval is { } i && (i < TimeSpan.FromMilliseconds(100) || i > TimeSpan.FromHours(1)))
            throw new CicdException(CicdError.InvalidArgument, $"The sync interval must be between 0.1 and 3600 seconds (got {i.TotalSeconds} s).", null);
        string? unreachable = null;
        await using (var r = FleetRegistries.Open(uri))
        {
            try { await r.InitializeAsync(ct); }
            catch (CicdException e) when (e.Error == CicdError.FleetRegistryUnavailable)
            {
                if (!force)
                    throw new CicdException(CicdError.FleetRegistryUnavailable, e.Message + " Nothing was stored.", null,
                        $"Check the URI and that the registry is up, or use {forceHint} to join now and report once it is reachable.", e);
                unreachable = e.Message;
            }
        }
        var m = engine.JoinFleet(uri, nodeName, interval);
        if (unreachable is null)
        {
            await using var r = FleetConnection.OpenJoined(engine);
            var sync = FleetConnection.CreateSync(engine, r);
            if (!await sync.TrySyncOnceAsync(ct)) unreachable = sync.LastError;
        }
        return new JoinResult(m, engine.GetNodeIdentity(), unreachable);
    }

    /// <summary>
    /// Removes this node from the registry and forgets the registry. An unreachable registry changes nothing unless
    /// <paramref name="force"/>; the message returned then says the node is still listed (as stale).
    /// </summary>
    public static async Task<(FleetMembership Membership, string? StillListed)> LeaveAsync(CicdEngine engine, bool force, string forceHint, CancellationToken ct)
    {
        var m = engine.GetFleetMembership() ?? throw NotInFleet();
        string? unreachable = null;
        await using (var r = FleetConnection.OpenJoined(engine))
        {
            try { await r.RemoveNodeAsync(engine.GetNodeIdentity().Id, ct); }
            catch (CicdException e) when (e.Error == CicdError.FleetRegistryUnavailable)
            {
                if (!force)
                    throw new CicdException(CicdError.FleetRegistryUnavailable, e.Message, null,
                        $"Retry when the registry is back, or use {forceHint} to leave anyway (the node stays listed as stale).", e);
                unreachable = e.Message;
            }
        }
        engine.LeaveFleet();
        return (m, unreachable);
    }

    /// <summary>The fleet as the joined registry has it.</summary>
    public static async Task<FleetSnapshot> SnapshotAsync(CicdEngine engine, int recent, CancellationToken ct)
    {
        if (engine.GetFleetMembership() is null) throw NotInFleet();
        await using var r = FleetConnection.OpenJoined(engine);
        return await r.GetSnapshotAsync(recent, ct);
    }

    private static CicdException NotInFleet() =>
        new(CicdError.NotInFleet, "This node is not in a fleet.", null, "Join one first (`cicdops fleet join --registry URI` or Connect-CicdFleet).");
}
