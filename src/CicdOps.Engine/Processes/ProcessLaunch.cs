using System.Diagnostics;

namespace CicdOps.Engine.Processes;

/// <summary>
/// Builds the ProcessStartInfo for a project script: the argument list, working directory and environment.
/// Every script starts in a session and process group of its own (setsid), so the engine can stop it and
/// everything it started with one signal, and so an app outlives the process that deployed it.
/// </summary>
internal static class ProcessLaunch
{
    private static readonly string? SetsidPath = new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists);

    /// <summary>True when scripts get their own process group (util-linux setsid is present).</summary>
    public static bool HasOwnGroups => SetsidPath is not null;

    public static ProcessStartInfo Create(LaunchSpec spec, string workingDirectory)
    {
        var argv = spec.Argv;
        var psi = new ProcessStartInfo
        {
            FileName = SetsidPath ?? argv[0],
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
        };
        foreach (var a in SetsidPath is null ? argv.Skip(1) : argv) psi.ArgumentList.Add(a);
        if (spec.CleanEnvironment) psi.Environment.Clear();
        foreach (var (k, v) in spec.Environment) psi.Environment[k] = v;
        return psi;
    }
}
