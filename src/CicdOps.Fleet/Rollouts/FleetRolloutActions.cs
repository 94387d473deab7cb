using CicdOps.Fleet.Sync;

namespace CicdOps.Fleet.Rollouts;

/// <summary>Fleet actions and their records for the front ends (`cicdops fleet deploy|…|rollouts` and the Fleet cmdlets).</summary>
public static class FleetRolloutActions
{
    /// <summary>Who is asking: the local user at this node's name.</summary>
    public static string Requester(CicdEngine engine) => $"{Environment.UserName}@{engine.GetNodeIdentity().Name}";

    /// <summary>Runs a fleet action through the joined registry and returns the finished rollout.</summary>
    public static async Task<FleetRollout> RunAsync(CicdEngine engine, FleetRolloutRequest request, Action<FleetRolloutTarget>? progress, CancellationToken ct)
    {
        await using var registry = OpenJoined(engine);
        return await new FleetRolloutDriver(registry, progress) { Node = engine.GetNodeIdentity() }.RunAsync(request, ct);
    }

    public static async Task<IReadOnlyList<FleetRollout>> ListAsync(CicdEngine engine, string? project, int limit, CancellationToken ct)
    {
        if (limit < 1) throw new CicdException(CicdError.InvalidArgument, $"Invalid limit {limit}: use 1 or more.", limit);
        await using var registry = OpenJoined(engine);
        await registry.InitializeAsync(ct);
        var store = (IFleetRolloutStore)registry;
        await AbandonedRollouts.EndAsync(store, engine.GetNodeIdentity().Id, ct);
        return await store.GetRolloutsAsync(project, limit, ct);
    }

    public static async Task<FleetRollout> GetAsync(CicdEngine engine, string id, CancellationToken ct)
    {
        var key = id.Trim().ToLowerInvariant();
        if (key.Length is 0 or > 64 || !key.All(char.IsAsciiHexDigit))
            throw new CicdException(CicdError.InvalidArgument, $"'{new string(id.Where(c => !char.IsControl(c)).Take(40).ToArray())}' is not a rollout id (12 hex digits).", id);
        await using var registry = OpenJoined(engine);
        await registry.InitializeAsync(ct);
        var store = (IFleetRolloutStore)registry;
        await AbandonedRollouts.EndAsync(store, engine.GetNodeIdentity().Id, ct);
        return await store.GetRolloutAsync(key, ct)
            ?? throw new CicdException(CicdError.FleetRolloutNotFound, $"No fleet rollout has the id '{key}'.", key, "`cicdops fleet rollouts` lists them.");
    }

    private static IFleetRegistry OpenJoined(CicdEngine engine)
    {
        if (engine.GetFleetMembership() is null)
            throw new CicdException(CicdError.NotInFleet, "This node is not in a fleet.", null, "Join one first (`cicdops fleet join --registry URI` or Connect-CicdFleet).");
        return FleetConnection.OpenJoined(engine);
    }
}
