using System.Diagnostics;

namespace CicdOps.Engine.Processes;

/// <summary>
/// Runs a script to completion with a timeout, in its own process group, feeding each output line to a
/// sink. On timeout or cancellation the whole group is stopped, so nothing it started is left behind.
/// </summary>
internal static class ScriptRunner
{
    private static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan DrainBound = TimeSpan.FromSeconds(2);

    public static Task<ScriptResult> RunAsync(
        ProcessStartInfo psi, TimeSpan timeout, Action<string> output, Action<int>? started, CancellationToken cancellationToken)
        => RunAsync(psi, timeout, output, output, started, leftoversStopped: null, cancellationToken);

    /// <summary>
    /// As above with stdout and stderr kept apart. With <paramref name="leftoversStopped"/>, what the script left
    /// running in its group is stopped when it exits (and the callback told so), as CI steps need.
    /// </summary>
    public static async Task<ScriptResult> RunAsync(
        ProcessStartInfo psi, TimeSpan timeout, Action<string> stdout, Action<string> stderr, Action<int>? started,
        Action? leftoversStopped, CancellationToken cancellationToken)
    {
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.RedirectStandardInput = true; // closed at once: a script waiting for input gets EOF, not a hang
        var sw = Stopwatch.StartNew();
        using var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.Exited += (_, _) => exited.TrySetResult();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) stdout(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) stderr(e.Data); };
        // setsid → the script where ThreadLaunch can join and drop in the starting thread, else the whole exec chain.
        ProcessLaunch.Start(process);
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var pgid = process.Id; // setsid made the script a group leader
        started?.Invoke(pgid);

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
            await Stop(process, pgid);
        }
        if (leftoversStopped is not null && !timedOut && !cancelled && ProcessLaunch.HasOwnGroups
            && await ProcessStopper.StopGroupAsync(pgid, KillGrace))
        {
            leftoversStopped();
        }
        // Let the readers drain to EOF (on a loaded machine the last lines can arrive well after the exit: a health
        // failure's reason is those lines); a daemon that kept our pipe open must not hang us past the bound.
        await Task.WhenAny(process.WaitForExitAsync(), Task.Delay(DrainBound));
        int? code = process.HasExited ? process.ExitCode : null;
        return new ScriptResult(timedOut || cancelled ? null : code, timedOut, cancelled, sw.Elapsed);
    }

    private static async Task Stop(Process process, int pgid)
    {
        if (ProcessLaunch.HasOwnGroups) await ProcessStopper.StopGroupAsync(pgid, KillGrace);
        else process.Kill(entireProcessTree: true);
        try { await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5)); } catch (TimeoutException) { }
    }
}
