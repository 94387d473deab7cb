using System.Diagnostics;
using CicdOps.Engine.Model;
using CicdOps.Engine.Processes;
using CicdOps.Engine.State;

namespace CicdOps.Engine.Deploy;

/// <summary>
/// Decides whether a freshly started app is healthy: polls .cicd/health.sh until it passes or the health
/// timeout ends (no fixed sleep), while watching the app process. Without health.sh the app must stay alive
/// through a short settle period and, when the project has a port, something must listen on it.
/// Also follows a run.sh that hands over to a background manager and writes the app's PID to $CICD_PID_FILE.
/// </summary>
internal sealed class HealthChecker
{
    private static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan MaxPoll = TimeSpan.FromMilliseconds(250);
    private readonly Project _project;
    private readonly Process _launched;
    private readonly string _pidFile;
    private readonly TimeSpan _settle;
    private readonly Func<TimeSpan, Action<string>, CancellationToken, Task<ScriptResult>> _runHealth;
    private readonly Func<int, string?> _whyNotOwn;
    private readonly Func<int, string?> _foreignHolders;
    private readonly Action<string> _log;
    private AppProcess? _started;

    /// <param name="runHealth">Runs health.sh once (timeout, output sink); nothing it starts may outlive it.</param>
    /// <param name="whyNotOwn">Why a pid is not the project's (null when it is): a PID file is never trusted blindly.</param>
    /// <param name="foreignHolders">Who else holds a port (null when only the project does).</param>
    public HealthChecker(Project project, Process launched, string pidFile, TimeSpan settle,
        Func<TimeSpan, Action<string>, CancellationToken, Task<ScriptResult>> runHealth, Func<int, string?> whyNotOwn,
        Func<int, string?> foreignHolders, Action<string> log)
    {
        _project = project; _launched = launched; _pidFile = pidFile; _settle = settle; _runHealth = runHealth;
        _whyNotOwn = whyNotOwn; _foreignHolders = foreignHolders; _log = log;
    }

    /// <summary>The app process to track from now on (it changes when run.sh hands over via the PID file).</summary>
    public AppProcess? Tracked { get; private set; }

    /// <summary>Time spent inside health.sh.</summary>
    public TimeSpan ScriptTime { get; private set; }

    /// <returns>Null when healthy, otherwise the reason it is not.</returns>
    public async Task<string?> CheckAsync(AppProcess started, CancellationToken ct)
    {
        Tracked = started;
        _started = started;
        var clock = Stopwatch.StartNew();
        var hasHealthScript = File.Exists(Path.Combine(_project.Path, ScriptNames.Health));
        // The app starts beside the first check (nothing waits for its exec chain), which then often runs before the app
        // is ready: the second check follows at once (a 1 ms timer fires 1–4 ms late on a busy machine, as long as a
        // check), then after 1, 2, 4… ms up to MaxPoll. A fast app is seen within a few ms of ready; a slow one costs one
        // check more than with the timer alone.
        var poll = TimeSpan.Zero;
        var lastFailure = "";
        string? realFailure = null;
        var attempts = 0;
        while (true)
        {
            var processProblem = FollowProcess(hasHealthScript);
            if (processProblem is not null) return processProblem;

            if (hasHealthScript)
            {
                var remaining = _project.HealthTimeout - clock.Elapsed;
                var output = new List<string>();
                var r = await _runHealth(remaining > TimeSpan.FromMilliseconds(100) ? remaining : TimeSpan.FromMilliseconds(100),
                    line => { if (attempts < 3) _log(line); lock (output) output.Add(line); }, ct);
                ScriptTime += r.Duration;
                attempts++;
                if (r.Succeeded && FollowProcess(hasHealthScript) is { } diedMeanwhile) return diedMeanwhile;
                if (r.Succeeded) { _log($"healthy after {clock.Elapsed.TotalMilliseconds:0} ms ({attempts} check(s))"); return null; }
                // A check cut short by the end of the budget is not the answer: the earlier real failure stays first.
                if (r.TimedOut && realFailure is not null) lastFailure = $"{realFailure}; the last check timed out after {r.Duration.TotalSeconds:0.#} s";
                else lock (output) lastFailure = realFailure = HealthFailure(r, output);
            }
            else if (clock.Elapsed >= _settle)
            {
                // Something listening counts only when nothing but the project holds the port.
                if (_project.Port is not { } port || (PortOwners.IsListening(port) && _foreignHolders(port) is null))
                {
                    _log($"app alive after {clock.Elapsed.TotalMilliseconds:0} ms{(_project.Port is { } p ? $", port {p} listening" : "")}");
                    return null;
                }
                lastFailure = _foreignHolders(port) ?? $"nothing listens on port {port}";
            }

            if (clock.Elapsed >= _project.HealthTimeout)
                return hasHealthScript
                    ? $"unhealthy: {lastFailure} (health timeout {_project.HealthTimeout.TotalSeconds:0.#} s, {attempts} checks)"
                    : $"unhealthy: {lastFailure} after {_project.HealthTimeout.TotalSeconds:0.#} s";
            var left = _project.HealthTimeout - clock.Elapsed;
            if (poll > TimeSpan.Zero) await Task.Delay(poll < left ? poll : left, ct);
            else ct.ThrowIfCancellationRequested();
            poll = poll == TimeSpan.Zero ? FirstPoll : TimeSpan.FromTicks(Math.Min(poll.Ticks * 2, MaxPoll.Ticks));
        }
    }

    private const int OutputLinesKept = 5;

    /// <summary>How one health.sh run failed, with the last lines it printed (they usually say why).</summary>
    private static string HealthFailure(ScriptResult r, List<string> output)
    {
        var tail = output.Where(l => l.Trim().Length > 0).TakeLast(OutputLinesKept).Select(l => l.Trim()).ToList();
        return tail.Count == 0 ? r.Describe("health.sh") + " (no output)" : $"{r.Describe("health.sh")}; its last output: {string.Join(" | ", tail)}";
    }

    /// <summary>Checks the tracked process; returns why it counts as failed, or null.</summary>
    private string? FollowProcess(bool hasHealthScript)
    {
        if (Tracked is { } t && t.Pid != _launched.Id)
            return ProcFs.IsAlive(t.Pid, t.StartTicks) ? null : $"the app (pid {t.Pid}) exited";
        if (!_launched.HasExited) return null;
        if (_launched.ExitCode != 0) return $"run.sh exited with code {_launched.ExitCode}";
        if (ReadPidFile() is { } pid)
        {
            if (!ProcFs.IsAlive(pid, null)) return $"$CICD_PID_FILE names pid {pid}, which is not running";
            if (_whyNotOwn(pid) is { } why)
                return $"$CICD_PID_FILE names {ProcessDescription.Of(pid)}, which is not this project's: {why}";
            // The launch's group stays the record's group: it is the one the engine made (a handed-over pid's group may not be).
            Tracked = new AppProcess(pid, _started?.Pgid ?? _launched.Id, ProcFs.StartTicks(pid));
            _log($"run.sh handed over to pid {pid} ($CICD_PID_FILE)");
            return null;
        }
        if (hasHealthScript) { Tracked = null; return null; } // an external manager (e.g. docker): health.sh decides
        return "run.sh exited without leaving a process: keep it in the foreground, or write the app's PID to $CICD_PID_FILE";
    }

    /// <summary>
    /// The PID file may live in the project account's home: only a small regular file is read (a symlink, a
    /// FIFO or a huge file planted there must not make the engine follow it, block or read much).
    /// </summary>
    private int? ReadPidFile()
    {
        try
        {
            var info = new FileInfo(_pidFile);
            if (!info.Exists || info.LinkTarget is not null || info.Length is 0 or > 32) return null;
            var read = Task.Run(() => File.ReadAllText(_pidFile));
            if (!read.Wait(TimeSpan.FromSeconds(1))) return null;
            return int.TryParse(read.Result.Trim(), out var pid) && pid > 1 ? pid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or AggregateException) { return null; }
    }
}
