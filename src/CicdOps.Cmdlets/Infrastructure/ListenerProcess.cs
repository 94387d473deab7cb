using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace CicdOps.Cmdlets.Infrastructure;

/// <summary>
/// `cicdops listen` run by the module as a child process: the one listener implementation, whatever the front end.
/// Its stdout lines are queued for the pipeline thread; its stdin stays open so that, should pwsh die, the listener
/// sees end-of-file and stops instead of running on unowned. Stopping sends SIGTERM (the listener's graceful stop:
/// no new deliveries, running deployments finish within the grace), then keeps draining its output in the
/// background so a late write never meets a closed pipe.
/// </summary>
internal sealed class ListenerProcess : IDisposable
{
    private readonly Process _process;
    private readonly BlockingCollection<string> _lines = new();
    private readonly List<string> _errors = new();
    private readonly Task _stdout;
    private readonly Task _stderr;

    private ListenerProcess(Process process)
    {
        _process = process;
        _stdout = Task.Run(() => Pump(process.StandardOutput, _lines.Add));
        _stderr = Task.Run(() => Pump(process.StandardError, l => { lock (_errors) _errors.Add(l); }));
        Task.WhenAll(_stdout, _stderr).ContinueWith(_ => _lines.CompleteAdding(), TaskScheduler.Default);
    }

    /// <summary>Starts the executable with <paramref name="arguments"/>; <paramref name="environment"/> adds to ours (the secret travels here, never in argv).</summary>
    public static ListenerProcess Start(string executable, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        foreach (var (k, v) in environment) start.Environment[k] = v;
        // Errors as one JSON line each, so the cmdlet can raise them with the engine's ErrorId and category.
        start.Environment[CliErrors.FormatVariable] = CliErrors.JsonFormat;
        return new ListenerProcess(Process.Start(start)!);
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>The next stdout line, or false after the timeout or when the output has ended.</summary>
    public bool TryTakeLine(out string line, TimeSpan timeout)
    {
        try { return _lines.TryTake(out line!, timeout); }
        catch (InvalidOperationException) { line = ""; return false; }
    }

    public bool OutputEnded => _lines.IsCompleted;

    /// <summary>What the process wrote on stderr (its errors), once it has exited.</summary>
    public IReadOnlyList<string> Errors
    {
        get { _stderr.Wait(TimeSpan.FromSeconds(2)); lock (_errors) return _errors.ToList(); }
    }

    /// <summary>Asks for the graceful stop (SIGTERM) and waits up to <paramref name="wait"/> for the process to end.</summary>
    public bool Stop(TimeSpan wait)
    {
        if (_process.HasExited) return true;
        if (Kill(_process.Id, Sigterm) != 0 && !_process.HasExited) _process.Kill();
        return _process.WaitForExit(wait);
    }

    public void Dispose()
    {
        // The process may still be finishing its deployments: drain its output until it ends, then release it.
        Task.WhenAll(_stdout, _stderr).ContinueWith(_ => { _process.Dispose(); _lines.Dispose(); }, TaskScheduler.Default);
    }

    private static void Pump(StreamReader reader, Action<string> add)
    {
        try
        {
            while (reader.ReadLine() is { } line) add(line);
        }
        catch (IOException) { }
        catch (ObjectDisposedException) { }
        catch (InvalidOperationException) { } // added after completion: nobody reads any more
    }

    private const int Sigterm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
