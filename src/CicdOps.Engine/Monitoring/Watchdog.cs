using CicdOps.Engine.Notifications;
using CicdOps.Engine.Deploy;
using CicdOps.Engine.State;

namespace CicdOps.Engine.Monitoring;

/// <summary>
/// Keeps running apps running (inside the listener only). At each sampler pass: a Healthy project whose tracked app
/// process is gone, or whose health.sh (every <see cref="Project.HealthInterval"/>) fails, turns Unhealthy with an
/// event; an Unhealthy one is restarted through the project's queue (trigger Watchdog) after an exponential backoff.
/// Never while a deployment waits or runs (checked in the same transaction that changes anything), never two restarts
/// of a project at once (the next is considered only when the last has finished), and after
/// <see cref="WatchdogOptions.MaxRestarts"/> restarts without a healthy spell of <see cref="WatchdogOptions.ResetAfterHealthy"/>
/// it gives up: the project turns Failed with a GaveUp event, until someone deploys it again.
/// </summary>
internal sealed class Watchdog
{
    private readonly CicdEngine _engine;
    private readonly EngineContext _ctx;
    private readonly WatchdogOptions _options;
    private readonly Action<string> _log;
    private readonly CancellationToken _stop;
    private readonly Dictionary<string, Watch> _watches = new(StringComparer.Ordinal);

    /// <summary>What the watchdog remembers about one project (in memory: a restarted listener starts each incident afresh).</summary>
    private sealed class Watch
    {
        public int Restarts;
        public bool Incident;
        public DateTime NextRestart;
        public long? Restart;
        public DateTime HealthySince = DateTime.UtcNow;
        public DateTime NextCheck;
        public Task<string?>? Check;
        public AppProcess? CheckedApp;
        public string? LastFailure;
        public string? Reason;
    }

    public Watchdog(CicdEngine engine, EngineContext ctx, Action<string> log, CancellationToken stop)
    {
        _engine = engine; _ctx = ctx; _options = ctx.Options.Watchdog; _log = log; _stop = stop;
    }

    /// <summary>What the last failed health check said (shown with the app's telemetry).</summary>
    public string? LastFailure(string project)
    {
        lock (_watches) return _watches.TryGetValue(project, out var w) ? w.LastFailure : null;
    }

    public void Tick(SamplePass pass)
    {
        var busy = _ctx.Db.Read(TelemetryStore.Busy);
        var now = DateTime.UtcNow;
        lock (_watches)
        {
            foreach (var name in _watches.Keys.Except(pass.Projects.Select(p => p.Name)).ToList()) _watches.Remove(name);
            foreach (var m in pass.Projects)
            {
                if (!_watches.TryGetValue(m.Name, out var w))
                    _watches[m.Name] = w = new Watch { NextCheck = now + m.HealthInterval };
                Step(m, w, pass.Alive.GetValueOrDefault(m.Name), busy.Contains(m.Name), now);
            }
        }
    }

    /// <summary>Lets the health checks still running end (they are cancelled with the listener).</summary>
    public async Task DrainAsync()
    {
        Task[] running;
        lock (_watches) running = _watches.Values.Select(w => w.Check).OfType<Task>().ToArray();
        try { await Task.WhenAll(running); } catch (Exception) { /* cancelled or failed: nothing to report at shutdown */ }
    }

    private void Step(MonitoredProject m, Watch w, bool alive, bool busy, DateTime now)
    {
        if (w.Restart is { } id) { FollowRestart(m, w, id, now); return; }
        if (busy || m.Status == ProjectStatus.Deploying) return; // a deployment owns the app now; judge what it leaves
        switch (m.Status)
        {
            case ProjectStatus.Healthy:
                if (w.Incident) { w.Incident = false; w.HealthySince = now; } // someone else brought it back (a deploy)
                if (w.Restarts > 0 && now - w.HealthySince >= _options.ResetAfterHealthy) w.Restarts = 0;
                if (m.App is not null && !alive) { MarkUnhealthy(m, w, $"the app died (pid {m.App.Pid} is gone)", now); return; }
                if (w.Check is { IsCompleted: true } done)
                {
                    w.Check = null;
                    var failure = done.IsCompletedSuccessfully ? done.Result : null;
                    if (done.Exception is { } e) _log($"watchdog: {m.Name}: health check could not run: {Listener.ListenerLog.Clean(e.GetBaseException().Message)}");
                    w.LastFailure = failure;
                    // Only a verdict on the app that is still the one serving counts (a deploy may have replaced it meanwhile).
                    if (failure is not null && w.CheckedApp == m.App) { MarkUnhealthy(m, w, failure, now); return; }
                }
                if (w.Check is null && now >= w.NextCheck && m.App is not null)
                {
                    w.NextCheck = now + m.HealthInterval;
                    w.CheckedApp = m.App;
                    w.Check = Task.Run(() => HealthProbe.CheckAsync(_ctx, m, _stop));
                }
                return;
            case ProjectStatus.Unhealthy:
                if (!w.Incident)
                {
                    // Unhealthy before this listener started (or after a failed restart it did not see): restart it.
                    w.Incident = true;
                    w.Reason ??= "it was unhealthy when the watchdog started";
                    w.NextRestart = now + Backoff(w.Restarts);
                }
                if (now >= w.NextRestart) StartRestart(m, w, now);
                return;
            default:
                // Failed, Stopped, Registered: nothing should be running; a later deploy starts afresh.
                w.Incident = false; w.Restarts = 0; w.Check = null; w.LastFailure = null;
                return;
        }
    }

    private void MarkUnhealthy(MonitoredProject m, Watch w, string reason, DateTime now)
    {
        var marked = _ctx.Db.Write(c =>
        {
            // Still as the sample saw it, and no deployment started since: otherwise the deployment's outcome decides.
            var current = ProjectStore.Find(c, m.Name);
            if (current?.Status != ProjectStatus.Healthy || ProjectStore.GetApp(c, m.Name) != m.App || TelemetryStore.IsBusy(c, m.Name)) return false;
            ProjectStore.Set(c, m.Name, "status", ProjectStatus.Unhealthy.ToString());
            EventStore.Add(c, m.Name, CicdEventKind.Unhealthy, reason);
            Notify(c, m.Name, NotificationEventKind.WatchdogUnhealthy, reason);
            return true;
        });
        if (!marked) return;
        _ctx.Changes.Pulse();
        w.Incident = true;
        w.Reason = reason;
        w.LastFailure = reason;
        var delay = Backoff(w.Restarts);
        w.NextRestart = now + delay;
        _log($"watchdog: {m.Name} is unhealthy: {reason}; restart in {Seconds(delay)}");
    }

    private void StartRestart(MonitoredProject m, Watch w, DateTime now)
    {
        if (w.Restarts >= _options.MaxRestarts)
        {
            GiveUp(m, w, $"it did not stay healthy for {Seconds(_options.ResetAfterHealthy)} after {w.Restarts} restarts in a row; last: {w.Reason}");
            return;
        }
        if (m.Commit is not { } commit) { GiveUp(m, w, "no commit serves, so there is nothing to restart"); return; }
        var attempt = w.Restarts + 1;
        var queued = _ctx.Db.Write(c =>
        {
            if (ProjectStore.Find(c, m.Name)?.Status != ProjectStatus.Unhealthy || TelemetryStore.IsBusy(c, m.Name)) return (QueuedDeployment?)null;
            using var s = Statements.Borrow(c);
            var q = DeploymentQueue.Enqueue(s, _ctx.Layout, m.Name, commit, DeploymentTrigger.Watchdog, false);
            EventStore.Add(c, m.Name, CicdEventKind.Restarting,
                $"restarting {Short(commit)} (restart {attempt} of at most {_options.MaxRestarts}, deployment {q.Id})", q.Id);
            return q;
        });
        if (queued is not { } started) return;
        w.Restarts = attempt;
        w.Restart = started.Id;
        _log($"watchdog: restarting {m.Name} (restart {attempt} of at most {_options.MaxRestarts}, deployment {started.Id})");
        _engine.Queued(started);
    }

    private void FollowRestart(MonitoredProject m, Watch w, long id, DateTime now)
    {
        var d = _ctx.Db.Read(c => DeploymentStore.Find(c, id));
        if (d is null) { w.Restart = null; return; }
        if (!d.IsFinished) return;
        w.Restart = null;
        switch (d.Status)
        {
            case DeploymentStatus.Succeeded:
                var recovered = $"healthy again after restart {w.Restarts} (deployment {id})";
                _ctx.Db.Write(c =>
                {
                    EventStore.Add(c, m.Name, CicdEventKind.Recovered, recovered, id);
                    Notify(c, m.Name, NotificationEventKind.WatchdogRecovered, recovered);
                });
                _log($"watchdog: {m.Name} recovered (deployment {id})");
                w.Incident = false;
                w.HealthySince = now;
                w.NextCheck = now + m.HealthInterval;
                w.LastFailure = null;
                return;
            case DeploymentStatus.Superseded or DeploymentStatus.Cancelled:
                // An operator's deployment or cancel took over: theirs decides what serves.
                w.Incident = false;
                return;
            default:
                w.Reason = d.Reason ?? d.Status.ToString();
                if (w.Restarts >= _options.MaxRestarts)
                {
                    GiveUp(m, w, $"{w.Restarts} restarts in a row failed; last: {w.Reason}");
                    return;
                }
                var delay = Backoff(w.Restarts);
                w.NextRestart = now + delay;
                w.Incident = true;
                Record(m.Name, CicdEventKind.RestartFailed, $"restart {w.Restarts} failed: {w.Reason}; next in {Seconds(delay)}", id);
                _log($"watchdog: {m.Name}: restart {w.Restarts} failed: {w.Reason}; next in {Seconds(delay)}");
                return;
        }
    }

    private void GiveUp(MonitoredProject m, Watch w, string why)
    {
        var message = $"gave up: {why}. Deploy it again (cicdops deploy {m.Name} / Start-CicdDeployment) once it is fixed";
        var done = _ctx.Db.Write(c =>
        {
            if (ProjectStore.Find(c, m.Name)?.Status != ProjectStatus.Unhealthy || TelemetryStore.IsBusy(c, m.Name)) return false;
            ProjectStore.Set(c, m.Name, "status", ProjectStatus.Failed.ToString());
            EventStore.Add(c, m.Name, CicdEventKind.GaveUp, message);
            Notify(c, m.Name, NotificationEventKind.WatchdogGaveUp, why);
            return true;
        });
        if (!done) return;
        _ctx.Changes.Pulse();
        w.Incident = false;
        _log($"watchdog: {m.Name}: {message}");
    }

    /// <summary>The notification of a watchdog event, in the transaction that records it (the outbox's rule).</summary>
    private static void Notify(Microsoft.Data.Sqlite.SqliteConnection c, string project, NotificationEventKind kind, string reason)
    {
        var p = ProjectStore.Find(c, project);
        NotificationOutbox.Enqueue(c, new NotificationEvent(kind)
        {
            Project = project, Commit = p?.CurrentCommit, Repository = p?.Repository, Reason = reason,
            Command = $"cicdops events {project}",
        });
    }

    private void Record(string project, CicdEventKind kind, string message, long? deployment) =>
        _ctx.Db.Write(c => EventStore.Add(c, project, kind, message, deployment));

    /// <summary>base × 2^n, at most the cap.</summary>
    internal static TimeSpan Backoff(WatchdogOptions o, int restartsSoFar)
    {
        var factor = Math.Pow(2, Math.Min(restartsSoFar, 30));
        var ms = Math.Min(o.BackoffBase.TotalMilliseconds * factor, o.BackoffCap.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(ms);
    }

    private TimeSpan Backoff(int restartsSoFar) => Backoff(_options, restartsSoFar);

    private static string Seconds(TimeSpan t) => t.TotalSeconds < 120 ? $"{t.TotalSeconds:0.#} s" : $"{t.TotalMinutes:0.#} min";

    private static string Short(string sha) => sha.Length > 12 ? sha[..12] : sha;
}
