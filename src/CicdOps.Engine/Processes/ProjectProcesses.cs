using CicdOps.Engine.State;

namespace CicdOps.Engine.Processes;

/// <summary>
/// "The project's processes", as one rule every stop goes through (deploy, rollback, cancel, recovery,
/// `project remove`): a process is the project's when it is in the project's app unit (cgroup tracking), or
/// when it runs as the project's own service account; unsandboxed (the account is the engine's own), it must
/// also carry the project's CICD_PROJECT in its environment. Never pid 1, root, CicdOps itself or any
/// process above it (the shell or service that started it), whatever a PID file says.
/// </summary>
internal sealed class ProjectProcesses
{
    private readonly IAppTracker _tracker;
    private readonly string _project;
    private readonly uint _accountUid;
    private readonly bool _sandboxed;
    private readonly HashSet<int> _protected = OperatingSystem.IsLinux() ? ProcFs.SelfAndAncestors() : new() { Environment.ProcessId };

    public ProjectProcesses(IAppTracker tracker, string project, uint accountUid, bool sandboxed)
    {
        _tracker = tracker; _project = project; _accountUid = accountUid; _sandboxed = sandboxed;
    }

    public string AppUnit => AppUnits.App(_project);
    public string DrainUnit => AppUnits.Draining(_project);

    /// <summary>Null when <paramref name="pid"/> is the project's; otherwise why not, in words.</summary>
    public string? WhyNotOwn(int pid)
    {
        if (pid <= 1 || _protected.Contains(pid)) return "it is CicdOps itself or a process that started it";
        if (!ProcFs.IsAlive(pid, null)) return "no such process is running";
        if (_tracker.IsAuthoritative && (_tracker.Contains(AppUnit, null, pid) || _tracker.Contains(DrainUnit, null, pid))) return null;
        var uid = ProcFs.Uid(pid);
        if (uid is null) return "no such process is running";
        if (uid == 0) return "it runs as root";
        if (uid == _accountUid && (_sandboxed || ProcFs.HasEnvironment(pid, "CICD_PROJECT", _project))) return null;
        return uid == _accountUid
            ? $"it was not started by a deployment of '{_project}'"
            : $"it runs as {ProcessDescription.UserName(uid.Value)}, not as the project's account, and was not started by its deployments";
    }

    public bool IsOwn(int pid) => WhyNotOwn(pid) is null;

    /// <summary>
    /// Stops the project's app: everything in its unit (the cgroup; without one, the own members of the launch's
    /// process group) and the process run.sh handed over when it is still the project's (its group with it when
    /// it leads one made only of the project's processes). Returns whether anything was running.
    /// <paramref name="unit"/> null: the app unit and the draining one (whatever the project runs); given: that unit only
    /// (a zero-downtime switch stops the new app or the old one, never both).
    /// </summary>
    public Task<bool> StopAppAsync(AppProcess? app, TimeSpan grace, Action<string>? log = null, string? unit = null) =>
        StopAsync(() =>
        {
            var units = unit is null ? new[] { AppUnit, DrainUnit } : new[] { unit };
            var targets = new HashSet<int>(units.SelectMany(u => _tracker.Members(u, app?.Pgid)).Where(p => _tracker.IsAuthoritative || IsOwn(p)));
            if (app is not null && ProcFs.IsAlive(app.Pid, app.StartTicks) && IsOwn(app.Pid))
            {
                targets.Add(app.Pid);
                if (Posix.ProcessGroupOf(app.Pid) == app.Pid)
                {
                    var group = new ProcessGroupTracker().Members("", app.Pid);
                    if (group.All(IsOwn)) targets.UnionWith(group);
                }
            }
            targets.ExceptWith(_protected);
            return targets;
        }, grace, log);

    /// <summary>
    /// Stops what a deployment's scripts and git left in its unit (without cgroups: the own members of the
    /// script's process group). <paramref name="includeMarked"/> (recovery of a dead runner, without cgroups):
    /// also the account's processes whose environment names this deployment (git, setsid escapes), except the app.
    /// </summary>
    public Task<bool> StopDeploymentAsync(long deploymentId, int? processGroup, TimeSpan grace, bool includeMarked = false, AppProcess? app = null) =>
        StopAsync(() =>
        {
            var unit = AppUnits.Deployment(deploymentId);
            var targets = new HashSet<int>(_tracker.Members(unit, processGroup).Where(p => _tracker.IsAuthoritative || IsOwn(p)));
            if (includeMarked && !_tracker.IsAuthoritative)
            {
                var marked = MarkedWith(deploymentId).ToHashSet();
                if (app is not null)
                {
                    marked.Remove(app.Pid);
                    marked.ExceptWith(_tracker.Members(AppUnit, app.Pgid));
                }
                targets.UnionWith(marked);
            }
            targets.ExceptWith(_protected);
            return targets;
        }, grace, null);

    /// <summary>Stops what is left in a unit of the project's own (the watchdog's health check), like a deployment's.</summary>
    public Task<bool> StopUnitAsync(string unit, int? processGroup, TimeSpan grace) =>
        StopAsync(() =>
        {
            var targets = new HashSet<int>(_tracker.Members(unit, processGroup).Where(p => _tracker.IsAuthoritative || IsOwn(p)));
            targets.ExceptWith(_protected);
            return targets;
        }, grace, null);

    /// <summary>
    /// The port before the app starts: the project's own holders (a daemon that escaped) are stopped; a holder
    /// that is not the project's is never touched, and the deployment fails naming it. Null when the port is free.
    /// </summary>
    public async Task<string?> ClaimPortAsync(int port, TimeSpan grace, Action<string> log)
    {
        var foreign = ForeignHolders(port);
        if (foreign is not null) return foreign;
        var own = PortOwners.Pids(port, includeSelf: true);
        if (own.Count > 0)
        {
            log($"port {port} is held by the project's own {string.Join(", ", own.Select(ProcessDescription.Of))}: stopping it");
            await StopAsync(() => PortOwners.Pids(port, includeSelf: true).Where(IsOwn).ToHashSet(), grace, null);
        }
        return ForeignHolders(port);
    }

    /// <summary>Why the port cannot be the project's now (held by something else, named), or null.</summary>
    public string? ForeignHolders(int port)
    {
        if (!OperatingSystem.IsLinux()) return null;
        var holders = PortOwners.Pids(port, includeSelf: true);
        var foreign = holders.Where(p => !IsOwn(p)).ToList();
        if (foreign.Count > 0)
            return $"port {port} is held by {string.Join("; ", foreign.Select(ProcessDescription.Of))}, which is not this project's: " +
                   "CicdOps stops only the project's own processes; stop that process or choose another port (cicdops project set --port / Set-CicdProject -Port)";
        if (holders.Count == 0 && PortOwners.IsListening(port))
            return $"port {port} is in use by a process CicdOps cannot inspect (another user's): free the port or choose another one";
        return null;
    }

    /// <summary>The account's processes whose environment names this project and deployment (the fallback's marker).</summary>
    private IEnumerable<int> MarkedWith(long deploymentId)
    {
        if (!OperatingSystem.IsLinux()) yield break;
        var id = deploymentId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var pid in ProcFs.AllPids())
            if (ProcFs.Uid(pid) == _accountUid && _accountUid != 0 &&
                ProcFs.HasEnvironment(pid, "CICD_DEPLOYMENT_ID", id) && ProcFs.HasEnvironment(pid, "CICD_PROJECT", _project))
                yield return pid;
    }

    /// <summary>SIGTERM, up to <paramref name="grace"/>, then SIGKILL until none is left (a unit may fork meanwhile).</summary>
    private static async Task<bool> StopAsync(Func<IReadOnlyCollection<int>> targets, TimeSpan grace, Action<string>? log)
    {
        var first = targets();
        if (first.Count == 0) return false;
        log?.Invoke($"stopping {string.Join(", ", first.OrderBy(p => p))}");
        foreach (var p in first) Posix.Kill(p, Posix.SIGTERM);
        var until = DateTime.UtcNow + grace;
        // Most apps are gone within a few ms of SIGTERM, and a deploy waits on this. An app that just exits on the signal is
        // gone well within a millisecond, less than the shortest timer wait: the first looks come after a yield each.
        for (var spin = 0; spin < 8 && targets().Count > 0; spin++) Thread.Yield();
        // Then every millisecond for the first 20 checks (each reads the unit's two member files), then back off.
        var checks = 0;
        while (targets().Count > 0 && DateTime.UtcNow < until)
        {
            await Task.Delay(checks < 20 ? 1 : Math.Min(1 << Math.Min(checks - 20, 7), 100));
            checks++;
        }
        var killUntil = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        IReadOnlyCollection<int> left;
        while ((left = targets()).Count > 0 && DateTime.UtcNow < killUntil)
        {
            foreach (var p in left) Posix.Kill(p, Posix.SIGKILL);
            await Task.Delay(20);
        }
        return true;
    }
}
