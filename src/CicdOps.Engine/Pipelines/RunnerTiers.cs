namespace CicdOps.Engine.Pipelines;

/// <summary>
/// The wall-clock limit of each runner tier, as SimpleCI has them (standard 150 s, medium 300 s, large 540 s).
/// Memory, CPU and pids limits through cgroups are not enforced yet.
/// </summary>
public static class RunnerTiers
{
    public const string Default = "standard";

    public static TimeSpan Timeout(string? tier) => (tier ?? Default) switch
    {
        "medium" => TimeSpan.FromSeconds(300),
        "large" => TimeSpan.FromSeconds(540),
        _ => TimeSpan.FromSeconds(150),
    };
}
