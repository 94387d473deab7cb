using System.Diagnostics;

namespace CicdOps.Engine.Processes;

/// <summary>
/// Builds the ProcessStartInfo for a project script: the argument list, working directory and environment.
/// Every script starts in a session and process group of its own (setsid), so the engine can stop it and
/// everything it started with one signal, and so an app outlives the process that deployed it. setsid runs
/// first (as the engine), then the plan's prefix drops to the project's account.
/// </summary>
internal static class ProcessLaunch
{
    private static readonly string? SetsidPath = new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists);

    /// <summary>True when scripts get their own process group (util-linux setsid is present).</summary>
    public static bool HasOwnGroups => SetsidPath is not null;

    public static ProcessStartInfo Create(LaunchSpec spec, string workingDirectory)
    {
        var psi = new ProcessStartInfo { FileName = spec.Argv[0], WorkingDirectory = workingDirectory, UseShellExecute = false };
        foreach (var a in spec.Argv.Skip(1)) psi.ArgumentList.Add(a);
        spec.Plan?.Apply(psi);
        if (SetsidPath is not null)
        {
            psi.ArgumentList.Insert(0, psi.FileName);
            psi.FileName = SetsidPath;
        }
        return psi;
    }
}
