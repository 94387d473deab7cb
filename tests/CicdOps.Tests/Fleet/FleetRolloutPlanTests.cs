using CicdOps.Fleet.Rollouts;

namespace CicdOps.Tests.Fleet;

public sealed class FleetRolloutPlanTests
{
    [Theory]
    [InlineData(5, false, 25, new[] { 1, 1, 1, 1, 1 })]
    [InlineData(1, true, 25, new[] { 1 })]
    [InlineData(2, true, 25, new[] { 1, 2 })]
    [InlineData(5, true, 25, new[] { 1, 2, 2, 3, 3 })]   // 25 % of 5 = 1.25 → batches of 2
    [InlineData(9, true, 25, new[] { 1, 2, 2, 2, 3, 3, 3, 4, 4 })]
    [InlineData(4, true, 100, new[] { 1, 2, 2, 2 })]
    [InlineData(4, true, 1, new[] { 1, 2, 3, 4 })]
    public void A_canary_first_then_batches_of_the_wave_size(int nodes, bool waves, int percent, int[] expected) =>
        Assert.Equal(expected, FleetRolloutPlan.Waves(nodes, waves, percent));
}
