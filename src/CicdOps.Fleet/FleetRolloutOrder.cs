namespace CicdOps.Fleet;

/// <summary>How a rollout's targets are listed everywhere: actions by wave then node name, then the reverts.</summary>
public static class FleetRolloutOrder
{
    public static IReadOnlyList<FleetRolloutTarget> Sort(IEnumerable<FleetRolloutTarget> targets) =>
        targets.OrderBy(t => t.Kind).ThenBy(t => t.Wave).ThenBy(t => t.Node, StringComparer.Ordinal).ThenBy(t => t.NodeId, StringComparer.Ordinal).ToList();
}
