using System.Globalization;

namespace CicdOps.Engine.Processes;

/// <summary>
/// Threads the runtime created on a <see cref="ThreadLaunch"/> thread while it was in a unit's cgroups with its
/// privileges dropped. .NET creates some threads lazily on whichever thread first needs them (the tiered compiler's
/// worker, the background GC's); such a thread takes the launch thread's cgroups, no_new_privs and empty bounding set.
/// After each launch they are moved back to the engine's cgroups. The JIT and GC workers never start processes, so their
/// dropped privileges do no harm; any other thread might (a thread pool thread would pass no_new_privs and an empty
/// bounding set on to the root tools the engine runs), so then direct starts are switched off for the rest of the
/// process and every later start goes through the exec chain.
/// </summary>
internal static class LaunchThreadOffspring
{
    // /proc/<tid>/comm names (15 characters at most) of runtime threads that never fork.
    private static readonly HashSet<string> NeverStartProcesses = new(StringComparer.Ordinal) { ".NET Tiered Com", ".NET BGC" };
    private const string LaunchThreadName = "cicdops-launch";

    /// <summary>Moves the launch thread's offspring back; false when one of them may start processes.</summary>
    /// <param name="homeTasks">Per entry of the form's cgroups, the tasks file of the engine's own cgroup (null: none joined).</param>
    /// <param name="launchThread">The launch thread itself (0: none), which leaves the unit on its own and ends.</param>
    public static bool Reclaim(DirectForm form, IReadOnlyList<string>? homeTasks, int launchThread = 0)
    {
        var strays = new List<int>();
        if (form.Cgroups is { } cgroups && homeTasks is { } homes && homes.Count == cgroups.Count)
        {
            for (var i = 0; i < cgroups.Count; i++)
                foreach (var tid in OwnThreadsIn(cgroups[i].TasksFile).Where(t => t != launchThread))
                {
                    TryWrite(homes[i], tid.ToString(CultureInfo.InvariantCulture));
                    if (!strays.Contains(tid)) strays.Add(tid);
                }
        }
        else if (form.Drop is { NoNewPrivs: true })
        {
            strays.AddRange(OwnThreadsWithNoNewPrivs().Where(t => t != launchThread));
        }
        return strays.Select(Comm).All(name => name is null || name == LaunchThreadName || NeverStartProcesses.Contains(name));
    }

    private static IEnumerable<int> OwnThreadsIn(string tasksFile)
    {
        string[] lines;
        try { lines = File.ReadAllLines(tasksFile); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { yield break; }
        foreach (var line in lines)
            if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var tid) && Directory.Exists($"/proc/self/task/{tid}"))
                yield return tid;
    }

    private static IEnumerable<int> OwnThreadsWithNoNewPrivs()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc/self/task"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var tid)) continue;
            string status;
            try { status = File.ReadAllText(Path.Combine(dir, "status")); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            if (status.Contains("NoNewPrivs:\t1", StringComparison.Ordinal)) yield return tid;
        }
    }

    private static string? Comm(int tid)
    {
        try { return File.ReadAllText($"/proc/self/task/{tid}/comm").TrimEnd('\n'); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    private static void TryWrite(string file, string text)
    {
        try { File.WriteAllText(file, text); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
