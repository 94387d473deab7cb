using System.Diagnostics;

namespace CicdOps.Engine.Processes;

/// <summary>
/// Builds the ProcessStartInfo for a project script: the argument list, working directory and environment.
/// Every script starts in a session and process group of its own (setsid), so the engine can stop it and
/// everything it started with one signal, and so an app outlives the process that deployed it. setsid runs
/// first (as the engine), then the tracker's join (the process enters its cgroup before it runs anything),
/// then the plan's prefix drops to the project's account.
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
        return psi;
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
