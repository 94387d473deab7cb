using CicdOps.Engine.Fleet;

namespace CicdOps.Fleet.Sync;

/// <summary>Opens the registry this node joined, with its stored (decrypted) URI.</summary>
public static class FleetConnection
{
    public static IFleetRegistry OpenJoined(CicdEngine engine) =>
        engine.RevealRegistryUri() is { } uri ? FleetRegistries.Open(uri)
            : throw new CicdException(CicdError.NotInFleet, "This node has not joined a fleet.", null, "Run `cicdops fleet join --registry URI` first.");

    /// <summary>A sync loop for the joined registry (the caller disposes the registry).</summary>
    public static FleetSync CreateSync(CicdEngine engine, IFleetRegistry registry, Action<string>? log = null)
    {
        var membership = engine.GetFleetMembership()
            ?? throw new CicdException(CicdError.NotInFleet, "This node has not joined a fleet.", null, "Run `cicdops fleet join --registry URI` first.");
        return new FleetSync(engine, registry, engine.GetNodeIdentity(), membership.SyncInterval, log);
    }
}
