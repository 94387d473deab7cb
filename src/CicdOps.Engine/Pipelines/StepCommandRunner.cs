using System.Diagnostics;
using CicdOps.Engine.Processes;

namespace CicdOps.Engine.Pipelines;

/// <summary>
/// Runs one step command through <see cref="ScriptRunner"/>, keeping stdout and stderr apart so the step log can
/// mark them, and stopping what a command left running in its group when it exits.
/// </summary>
internal static class StepCommandRunner
{
    public static Task<ScriptResult> RunAsync(ProcessStartInfo psi, TimeSpan timeout, StepLog log, CancellationToken cancellationToken)
        => ScriptRunner.RunAsync(psi, timeout, log.Out, log.Err, started: null,
            // A command's background processes end with it, as in other CI systems: nothing of a step outlives it.
            leftoversStopped: () => log.Runner("stopped the processes the command left running"),
            cancellationToken);
}
