using System.Collections.Concurrent;
using System.Diagnostics;

namespace CicdOps.Engine.Deploy;

/// <summary>
/// The detached worker processes this engine started (the front end's `cicdops worker NAME`), newest per project,
/// so a waiter can tell "the worker is still starting" from "the worker died before it took the queue" and report
/// the second with its exit code and the end of worker.log, instead of restarting it forever.
/// </summary>
internal sealed class WorkerProcesses
{
    private const int LogLinesShown = 5;
    private readonly ConcurrentDictionary<string, Process> _latest = new(StringComparer.Ordinal);

    public void Started(string project, Process worker)
    {
        if (_latest.TryGetValue(project, out var previous) && !ReferenceEquals(previous, worker)) previous.Dispose();
        _latest[project] = worker;
    }

    /// <summary>
    /// Why the newest worker for <paramref name="project"/> failed, when it exited non-zero (it never ran the
    /// queue: a missing or broken executable, a crash at start); null while it runs, after a clean exit, or when
    /// this engine started none.
    /// </summary>
    public string? Failure(string project, string workerLog)
    {
        if (!_latest.TryGetValue(project, out var worker)) return null;
        int code;
        try
        {
            if (!worker.HasExited) return null;
            code = worker.ExitCode;
        }
        catch (InvalidOperationException) { return null; }
        if (code == 0) return null;
        var tail = LastLines(workerLog);
        return $"The deployment worker ({worker.StartInfo.FileName} …) exited with code {code} before it ran the deployment" +
               (tail.Length > 0 ? ": " + tail : $"; see {workerLog}");
    }

    public void Forget(string project)
    {
        if (_latest.TryRemove(project, out var worker)) worker.Dispose();
    }

    private static string LastLines(string path)
    {
        try
        {
            if (!File.Exists(path)) return "";
            var lines = File.ReadLines(path).Where(l => l.Trim().Length > 0).TakeLast(LogLinesShown);
            return string.Join(" | ", lines.Select(l => l.Trim()));
        }
        catch (IOException) { return ""; }
        catch (UnauthorizedAccessException) { return ""; }
    }
}
