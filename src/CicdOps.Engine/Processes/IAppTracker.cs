namespace CicdOps.Engine.Processes;

/// <summary>
/// Knows which processes belong to a unit: a project's app ("app-NAME") or one deployment's git and scripts
/// ("deploy-ID"). With cgroups the kernel keeps the list: whatever a process forks, setsid or double-forks
/// stays in its unit, so "the project's processes" is a fact. Without them (<see cref="ProcessGroupTracker"/>)
/// the unit is the process group the launch made, which a setsid escapes.
/// </summary>
internal interface IAppTracker
{
    /// <summary>"cgroup v1", "cgroup v2" or "process group", for logs and status.</summary>
    string Mechanism { get; }

    /// <summary>
    /// True when membership is kept by the kernel (cgroups): every member descends from a launch into the unit,
    /// so all of them may be stopped. False for process groups: a group id can be reused, so callers only stop
    /// members they can show are the project's.
    /// </summary>
    bool IsAuthoritative { get; }

    /// <summary>
    /// An argv prefix that puts the process into <paramref name="unit"/> before it runs anything (it runs as
    /// the engine, ahead of the privilege drop). Empty when the launch's own process group is the unit.
    /// </summary>
    IReadOnlyList<string> JoinPrefix(string unit);

    /// <summary>Live members of the unit; <paramref name="processGroup"/> is the launch's group (used without cgroups).</summary>
    IReadOnlyList<int> Members(string unit, int? processGroup);

    /// <summary>Whether <paramref name="pid"/> is in the unit (without cgroups: in the launch's group).</summary>
    bool Contains(string unit, int? processGroup, int pid);

    /// <summary>
    /// Moves every member of <paramref name="from"/> into <paramref name="to"/> (cgroups), so the two can be stopped
    /// apart; nothing for process groups, where a launch's own group already tells them apart.
    /// </summary>
    void Move(string from, string to);

    /// <summary>Removes the unit's (empty) cgroup; nothing for process groups.</summary>
    void Remove(string unit);

    /// <summary>Removes every (empty) cgroup of this data directory (tests, and `project remove` of the last project).</summary>
    void RemoveAll();

    /// <summary>Null when <see cref="JoinPrefix(string, ResourceLimits)"/> enforces limits; otherwise why it cannot.</summary>
    string? LimitsUnavailable => "processes are tracked by process group here (cgroups need root and a writable cgroup file system)";

    /// <summary>
    /// As <see cref="JoinPrefix(string)"/>, the unit created with <paramref name="limits"/> enforced by the kernel
    /// (see <see cref="LimitsUnavailable"/>: without cgroups the limits are not applied).
    /// </summary>
    IReadOnlyList<string> JoinPrefix(string unit, ResourceLimits limits) => JoinPrefix(unit);

    /// <summary>How many of the unit's processes the kernel's OOM killer has killed for its memory limit so far.</summary>
    long OomKills(string unit) => 0;

    /// <summary>Stops the unit from starting new processes (a fork bomb stops growing while it is killed).</summary>
    void BlockForks(string unit) { }
}

/// <summary>Unit names shared by every engine process (the CLI, the listener, a worker) of one data directory.</summary>
internal static class AppUnits
{
    public static string App(string project) => "app-" + project;
    /// <summary>The app a zero-downtime switch replaced, while it drains (see Deploy/DeploymentRunner.Switch).</summary>
    public static string Draining(string project) => "drain-" + project;
    /// <summary>The watchdog's health.sh runs (what it leaves running is stopped when it ends).</summary>
    public static string Check(string project) => "check-" + project;
    public static string Deployment(long id) => "deploy-" + id.ToString(System.Globalization.CultureInfo.InvariantCulture);
    public static string PipelineRun(string runId) => "pipeline-" + runId;
}
