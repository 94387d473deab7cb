using System.Diagnostics;

namespace CicdOps.Engine.Processes;

/// <summary>
/// Starts .cicd/run.sh detached: its own session and process group, stdin from /dev/null, stdout and
/// stderr appended to the project's app log by the child itself, so the app keeps running (and keeps
/// logging) after the CLI call or pwsh session that deployed it has ended.
/// </summary>
internal static class AppLauncher
{
    // A constant script: the log path and the command arrive as positional arguments, never spliced in.
    private const string RedirectAndExec = "log=$1; shift; exec \"$@\" >>\"$log\" 2>&1 </dev/null";

    /// <summary>Starts <paramref name="spec"/> detached, its output appended to <paramref name="logPath"/>.</summary>
    public static Process Start(LaunchSpec spec, string workingDirectory, string logPath)
    {
        var full = new List<string> { "/bin/sh", "-c", RedirectAndExec, "cicdops-run", logPath };
        full.AddRange(spec.Argv);
        var psi = ProcessLaunch.Create(spec with { Argv = full }, workingDirectory);
        var p = new Process { StartInfo = psi, EnableRaisingEvents = true };
        p.Start();
        return p;
    }
}
