using System.Diagnostics;
using CicdOps.Engine.Processes;

namespace CicdOps.Engine.Pipelines;

/// <summary>
/// Runs one step command to completion like <see cref="ScriptRunner"/> (own process group, stdin closed, the
/// whole group stopped on timeout or cancellation, waiting for the process rather than for pipes to close), but
/// keeps stdout and stderr apart so the step log can mark them, and stops what a command left running in its group
/// when it exits.
/// </summary>
internal static class StepCommandRunner
{
    private static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(2);

    public static async Task<ScriptResult> RunAsync(ProcessStartInfo psi, TimeSpan timeout, StepLog log, CancellationToken cancellationToken)
    {
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.RedirectStandardInput = true;
        var sw = Stopwatch.StartNew();
        using var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.Exited += (_, _) => exited.TrySetResult();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) log.Out(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) log.Err(e.Data); };
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var pgid = process.Id; // setsid made bash a group leader

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        var timedOut = false;
        var cancelled = false;
        try
        {
            await exited.Task.WaitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            cancelled = cancellationToken.IsCancellationRequested;
            timedOut = !cancelled;
            if (ProcessLaunch.HasOwnGroups) await ProcessStopper.StopGroupAsync(pgid, KillGrace);
            else process.Kill(entireProcessTree: true);
            try { await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5)); } catch (TimeoutException) { }
        }
        if (!timedOut && !cancelled && ProcessLaunch.HasOwnGroups && await ProcessStopper.StopGroupAsync(pgid, KillGrace))
        {
            // A command's background processes end with it, as in other CI systems: nothing of a step outlives it.
            log.Runner("stopped the processes the command left running");
        }
        await Task.WhenAny(process.WaitForExitAsync(), Task.Delay(200));
        int? code = process.HasExited ? process.ExitCode : null;
        return new ScriptResult(timedOut || cancelled ? null : code, timedOut, cancelled, sw.Elapsed);
    }
}
