namespace CicdOps.Fleet.Rollouts;

/// <summary>How a rollout splits its nodes into waves.</summary>
public static class FleetRolloutPlan
{
    /// <summary>
    /// The wave (1-based) of each of <paramref name="nodes"/> nodes, in order. Without waves every node is in wave 1. With
    /// waves the first node is the canary (wave 1) and the rest go in batches of <paramref name="percent"/> % of all the
    /// nodes, rounded up (at least one node per wave).
    /// </summary>
    public static int[] Waves(int nodes, bool waves, int percent)
    {
        if (!waves) return Enumerable.Repeat(1, nodes).ToArray();
        var batch = Math.Max(1, (int)Math.Ceiling(nodes * percent / 100.0));
        return Enumerable.Range(0, nodes).Select(i => i == 0 ? 1 : 2 + (i - 1) / batch).ToArray();
    }
}
