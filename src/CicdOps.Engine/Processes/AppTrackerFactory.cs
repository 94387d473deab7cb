using CicdOps.Engine.Sandbox;

namespace CicdOps.Engine.Processes;

/// <summary>
/// Picks the tracker at engine start from what the kernel offers (read from /proc/self/mountinfo): cgroup v1
/// when a pids, memory or cpu hierarchy is mounted read-write, else cgroup v2, else process groups. Cgroups
/// need root (the engine moves processes between cgroups).
/// </summary>
internal static class AppTrackerFactory
{
    private static readonly string[] V1Controllers = { "pids", "cpu", "memory" };

    public static IAppTracker Create(ProcessTracking wanted, string dataPath)
    {
        var dataId = CgroupTracker.DataId(dataPath);
        var usable = OperatingSystem.IsLinux() && UnixIds.IsRoot;
        var mounts = usable ? CgroupMounts.Read() : new List<CgroupMount>();
        var v1 = V1Hierarchies(mounts);
        var v2 = mounts.FirstOrDefault(m => m.Version == 2 && m.Writable)?.Path;
        switch (wanted)
        {
            case ProcessTracking.ProcessGroup: return new ProcessGroupTracker();
            case ProcessTracking.CgroupV1:
                return v1.Count > 0 ? new CgroupV1Tracker(v1, dataId, V1LimitParents(mounts, v1)) : throw Unavailable("cgroup v1 (a writable pids, cpu or memory hierarchy, as root)");
            case ProcessTracking.CgroupV2:
                return v2 is not null ? new CgroupV2Tracker(v2, dataId) : throw Unavailable("cgroup v2 (a writable cgroup2 mount, as root)");
            default:
                if (v1.Count > 0) return new CgroupV1Tracker(v1, dataId, V1LimitParents(mounts, v1));
                if (v2 is not null) return new CgroupV2Tracker(v2, dataId);
                return new ProcessGroupTracker();
        }
    }

    /// <summary>
    /// The v1 hierarchies to use, the tracking one first. Only the tracking hierarchy is always joined; another
    /// is joined only where the engine itself sits at its root, so an app is never taken out of a cgroup the
    /// engine's own supervisor put it in (its memory limit, say).
    /// </summary>
    private static List<string> V1Hierarchies(List<CgroupMount> mounts)
    {
        var result = new List<string>();
        foreach (var controller in V1Controllers)
        {
            var m = mounts.FirstOrDefault(x => x.Version == 1 && x.Writable && x.Controllers.Contains(controller));
            if (m is null || result.Contains(m.Path)) continue;
            if (result.Count == 0 || CgroupMounts.OwnV1Path(controller) == "/") result.Add(m.Path);
        }
        return result;
    }

    /// <summary>
    /// Per limit controller, where limited units go: a tracking hierarchy's own root (a process is in one cgroup per
    /// hierarchy, and membership is read there); any other hierarchy below the engine's own cgroup, so what its
    /// supervisor limits stays limited.
    /// </summary>
    private static Dictionary<string, string> V1LimitParents(List<CgroupMount> mounts, List<string> tracking)
    {
        var parents = new Dictionary<string, string>();
        foreach (var controller in V1Controllers)
        {
            var m = mounts.FirstOrDefault(x => x.Version == 1 && x.Writable && x.Controllers.Contains(controller));
            if (m is null) continue;
            if (tracking.Contains(m.Path)) { parents[controller] = m.Path; continue; }
            if (CgroupMounts.OwnV1Path(controller) is not { } own) continue;
            parents[controller] = Path.Combine(m.Path, own.TrimStart('/'));
        }
        return parents;
    }

    private static CicdException Unavailable(string what) =>
        new(CicdError.InvalidArgument, $"Process tracking by {what} is not available here.", what,
            "Use ProcessTracking.Auto, which falls back to process groups.");
}

/// <summary>One cgroup mount from /proc/self/mountinfo.</summary>
internal sealed record CgroupMount(string Path, int Version, bool Writable, IReadOnlyList<string> Controllers);

internal static class CgroupMounts
{
    public static List<CgroupMount> Read()
    {
        var list = new List<CgroupMount>();
        try
        {
            foreach (var line in File.ReadLines("/proc/self/mountinfo"))
            {
                // id parent maj:min root mountpoint options [optional…] - fstype source superoptions
                var dash = line.IndexOf(" - ", StringComparison.Ordinal);
                if (dash < 0) continue;
                var left = line[..dash].Split(' ');
                var right = line[(dash + 3)..].Split(' ');
                if (left.Length < 6 || right.Length < 3) continue;
                var version = right[0] switch { "cgroup" => 1, "cgroup2" => 2, _ => 0 };
                if (version == 0) continue;
                var writable = left[5].Split(',').Contains("rw") && right[2].Split(',').Contains("rw");
                list.Add(new CgroupMount(Unescape(left[4]), version, writable, right[2].Split(',')));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return list;
    }

    /// <summary>This process's cgroup in the v1 hierarchy of <paramref name="controller"/> (from /proc/self/cgroup), or null.</summary>
    public static string? OwnV1Path(string controller)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/cgroup"))
            {
                var f = line.Split(':', 3);
                if (f.Length == 3 && f[1].Split(',').Contains(controller)) return f[2];
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return null;
    }

    // mountinfo escapes space, tab, newline and backslash as octal.
    private static string Unescape(string s) =>
        System.Text.RegularExpressions.Regex.Replace(s, @"\\([0-7]{3})", m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString());
}
