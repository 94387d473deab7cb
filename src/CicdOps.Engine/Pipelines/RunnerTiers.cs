using CicdOps.Engine.Processes;

namespace CicdOps.Engine.Pipelines;

/// <summary>
/// A runner tier: the memory, CPU and process limits the kernel enforces on a run (cgroups) and its wall-clock limit.
/// </summary>
public sealed record RunnerTier(long MemoryBytes, TimeSpan Timeout, double Cpus = 1, int Pids = 512)
{
    internal ResourceLimits Limits => new(MemoryBytes, Cpus, Pids);

    /// <summary>"2 GB", "64 MB".</summary>
    public string MemoryText => ResourceLimits.Size(MemoryBytes);
}

/// <summary>
/// The tiers a pipeline can ask for (`"tier"`): SimpleCI's standard (2 GB, 150 s), medium (4 GB, 300 s) and large
/// (8 GB, 540 s), with 1, 2 and 4 CPUs and 512, 1024 and 2048 processes; <see cref="EngineOptions.RunnerTiers"/>
/// changes them or adds others.
/// </summary>
public static class RunnerTiers
{
    public const string Default = "standard";

    public static IReadOnlyDictionary<string, RunnerTier> Defaults { get; } = new Dictionary<string, RunnerTier>(StringComparer.Ordinal)
    {
        ["standard"] = new(2L << 30, TimeSpan.FromSeconds(150), 1, 512),
        ["medium"] = new(4L << 30, TimeSpan.FromSeconds(300), 2, 1024),
        ["large"] = new(8L << 30, TimeSpan.FromSeconds(540), 4, 2048),
    };

    /// <summary>The defaults with <paramref name="configured"/> replacing or adding tiers.</summary>
    public static IReadOnlyDictionary<string, RunnerTier> With(IReadOnlyDictionary<string, RunnerTier>? configured)
    {
        var all = new Dictionary<string, RunnerTier>(Defaults, StringComparer.Ordinal);
        foreach (var (name, tier) in configured ?? new Dictionary<string, RunnerTier>()) all[name] = tier;
        return all;
    }

    public static TimeSpan Timeout(string? tier) => Defaults.TryGetValue(tier ?? Default, out var t) ? t.Timeout : Defaults[Default].Timeout;
}
