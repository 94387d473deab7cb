using System.Diagnostics;
using System.Runtime.CompilerServices;
using CicdOps.Engine.Sandbox;

namespace CicdOps.Engine.Processes;

/// <summary>
/// Builds the ProcessStartInfo for a project script: the argument list, working directory and environment.
/// Every script starts in a session and process group of its own (setsid), so the engine can stop it and
/// everything it started with one signal, and so an app outlives the process that deployed it. setsid runs
/// first (as the engine), then the tracker's join (the process enters its cgroup before it runs anything),
/// then the plan's prefix drops to the project's account. <see cref="Start"/> does the join and the drop in the
/// starting thread instead where it can (<see cref="ThreadLaunch"/>): setsid → the script, nothing in between.
/// </summary>
internal static class ProcessLaunch
{
    private static readonly string? SetsidPath = new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists);

    /// <summary>True when scripts get their own process group (util-linux setsid is present).</summary>
    public static bool HasOwnGroups => SetsidPath is not null;

    /// <param name="join">The tracker's <see cref="IAppTracker.JoinPrefix"/> for the unit the process belongs to (null: none).</param>
    public static ProcessStartInfo Create(LaunchSpec spec, string workingDirectory, IReadOnlyList<string>? join = null)
    {
        var psi = new ProcessStartInfo { FileName = spec.Argv[0], WorkingDirectory = workingDirectory, UseShellExecute = false };
        foreach (var a in spec.Argv.Skip(1)) psi.ArgumentList.Add(a);
        spec.Plan?.Apply(psi);
        if (join is { Count: > 0 }) Prepend(psi, join);
        if (SetsidPath is not null) Prepend(psi, new[] { SetsidPath });
        // setsid stays an exec of its own (.NET cannot make the child a session leader), now run as the account.
        OfferDirect(psi, SetsidPath is null ? spec.Argv : spec.Argv.Prepend(SetsidPath).ToList(), spec.Plan, join);
        return psi;
    }

    private static readonly ConditionalWeakTable<ProcessStartInfo, DirectForm> DirectForms = new();

    /// <summary>
    /// Records that <paramref name="psi"/> (built as the exec chain: [setsid] [cgroup join shell] [setpriv] argv, complete
    /// on its own) may instead start as <paramref name="argv"/> alone through <see cref="ThreadLaunch"/>, when the join is
    /// one a thread can do and the plan's drop is known. <see cref="Start"/> uses it; a plain Process.Start runs the chain.
    /// </summary>
    /// <param name="appendOutputTo">A log the direct start's stdout and stderr append to (stdin /dev/null), as the chain's shell did.</param>
    public static void OfferDirect(ProcessStartInfo psi, IReadOnlyList<string> argv, LaunchPlan? plan, IReadOnlyList<string>? join,
        string? appendOutputTo = null)
    {
        if (!ThreadLaunch.Available || argv.Count == 0) return;
        IReadOnlyList<ThreadCgroup>? cgroups = null;
        if (join is { Count: > 0 })
        {
            if (join is not CgroupJoin { Threads: { } threads }) return; // cgroup v2: only a shell can join
            cgroups = threads;
        }
        if (plan is { Prefix.Count: > 0, Drop: null }) return; // a prefix this cannot replace
        var drop = plan?.Drop;
        if (drop is null && cgroups is null) return;
        // The executable as the account's execvp would find it on the clean environment's PATH.
        var path = psi.Environment.TryGetValue("PATH", out var p) && p is not null ? p : LaunchEnvironment.StandardPath;
        if (Executable(argv[0], path) is not { } file) return;
        DirectForms.AddOrUpdate(psi, new DirectForm(file, argv.Skip(1).ToList(), drop, cgroups, appendOutputTo));
    }

    /// <summary>
    /// Starts a process built by <see cref="Create"/> or given <see cref="OfferDirect"/>: directly when it can, else its exec
    /// chain. True when it started directly (with a cgroup v1 join: inside its unit from its first instruction).
    /// </summary>
    public static bool Start(Process process)
    {
        if (DirectForms.TryGetValue(process.StartInfo, out var form) && ThreadLaunch.TryStart(process, form)) return true;
        process.Start();
        return false;
    }

    private static string? Executable(string name, string path)
    {
        if (name.Contains('/')) return Path.IsPathRooted(name) && File.Exists(name) ? name : null;
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Path.IsPathRooted(dir)) continue;
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate) && (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
                return candidate;
        }
        return null;
    }

    /// <summary>Makes <paramref name="prefix"/> (an argv that execs the rest) run first.</summary>
    public static void Prepend(ProcessStartInfo psi, IReadOnlyList<string> prefix)
    {
        if (prefix.Count == 0) return;
        var original = psi.ArgumentList.ToArray();
        psi.ArgumentList.Clear();
        foreach (var a in prefix.Skip(1)) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add(psi.FileName);
        foreach (var a in original) psi.ArgumentList.Add(a);
        psi.FileName = prefix[0];
    }
}
