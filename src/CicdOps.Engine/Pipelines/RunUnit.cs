using CicdOps.Engine.Processes;

namespace CicdOps.Engine.Pipelines;

/// <summary>
/// A pipeline run's cgroup (through the engine's <see cref="IAppTracker"/>): made once with the tier's limits, joined
/// by every command, emptied after each command and at the end — SIGKILL with forks blocked, so a fork bomb cannot
/// outrun it — and removed with the run. Without a tracker (or with process groups) it does nothing.
/// </summary>
internal sealed class RunUnit : IDisposable
{
    private readonly IAppTracker? _tracker;
    private readonly string? _unit;
    private readonly RunnerTier _tier;
    private readonly HashSet<int> _protected = OperatingSystem.IsLinux() ? ProcFs.SelfAndAncestors() : new() { Environment.ProcessId };

    public RunUnit(IAppTracker? tracker, string? unit, RunnerTier tier)
    {
        _tier = tier;
        if (tracker is null || unit is null) return;
        _tracker = tracker;
        _unit = unit;
        Join = tracker.JoinPrefix(unit, tier.Limits);
    }

    /// <summary>The argv prefix that puts a command in the unit (null: none).</summary>
    public IReadOnlyList<string>? Join { get; }

    private bool Enforced => _tracker is { IsAuthoritative: true } t && t.LimitsUnavailable is null;

    /// <summary>One line for the step log: the tier, its limits, and whether the kernel enforces them.</summary>
    public string Describe(string tierName)
    {
        var limits = $"tier {tierName}: memory {_tier.MemoryText}, {_tier.Cpus:0.##} CPU, {_tier.Pids} processes, {_tier.Timeout.TotalSeconds:0} s";
        return Enforced ? $"{limits} (enforced by {_tracker!.Mechanism})"
            : $"{limits} (only the time limit is enforced: {_tracker?.LimitsUnavailable ?? "no process tracker"})";
    }

    public long OomKills() => _tracker is not null && _unit is not null ? _tracker.OomKills(_unit) : 0;

    /// <summary>Kills every member of the unit; true when there was one.</summary>
    public async Task<bool> StopAllAsync()
    {
        if (_tracker is not { IsAuthoritative: true } || _unit is null) return false;
        if (Targets().Count == 0) return false;
        _tracker.BlockForks(_unit);
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        List<int> left;
        while ((left = Targets()).Count > 0 && DateTime.UtcNow < until)
        {
            foreach (var pid in left) Posix.Kill(pid, Posix.SIGKILL);
            await Task.Delay(10);
        }
        // The next command may fork again.
        _tracker.JoinPrefix(_unit, _tier.Limits);
        return true;
    }

    private List<int> Targets() => _tracker!.Members(_unit!, null).Where(p => !_protected.Contains(p)).ToList();

    /// <summary>
    /// Kills what is left in the unit of a run whose runner died, and removes the unit. Only with a tracker the kernel
    /// keeps (cgroups): without one, membership of a dead run cannot be shown, so nothing is killed.
    /// </summary>
    public static void StopLeftovers(IAppTracker tracker, string unit)
    {
        if (!tracker.IsAuthoritative) return;
        var protectedPids = OperatingSystem.IsLinux() ? ProcFs.SelfAndAncestors() : new() { Environment.ProcessId };
        List<int> Left() => tracker.Members(unit, null).Where(p => !protectedPids.Contains(p)).ToList();
        if (Left().Count > 0)
        {
            tracker.BlockForks(unit);
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            List<int> left;
            while ((left = Left()).Count > 0 && DateTime.UtcNow < until)
            {
                foreach (var pid in left) Posix.Kill(pid, Posix.SIGKILL);
                Thread.Sleep(10);
            }
        }
        tracker.Remove(unit);
    }

    public void Dispose()
    {
        if (_tracker is null || _unit is null) return;
        StopAllAsync().GetAwaiter().GetResult();
        _tracker.Remove(_unit);
    }
}
