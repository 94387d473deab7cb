namespace CicdOps.Engine.Processes;

/// <summary>
/// The fallback without cgroups (not root, or no writable cgroup fs): a unit is the process group setsid
/// made for its launch. A process that calls setsid leaves it unseen, and a group id can be reused once the
/// group is empty, so callers stop only the members they can show are the project's.
/// </summary>
internal sealed class ProcessGroupTracker : IAppTracker
{
    public string Mechanism => "process group";
    public bool IsAuthoritative => false;

    public IReadOnlyList<string> JoinPrefix(string unit) => Array.Empty<string>();

    public IReadOnlyList<int> Members(string unit, int? processGroup)
    {
        if (processGroup is not { } pgid || pgid <= 1 || pgid == Posix.OwnProcessGroup) return Array.Empty<int>();
        // Just launched, setsid not run yet: the group does not exist, but the process is our own child (still
        // root, about to become the app), and a stop must not miss it.
        if (!Posix.Exists(-pgid)) return LaunchingChild(pgid) ? new[] { pgid } : Array.Empty<int>();
        if (!OperatingSystem.IsLinux()) return new[] { pgid };
        return ProcFs.AllPids().Where(pid => Posix.ProcessGroupOf(pid) == pgid && !ProcFs.IsZombie(pid)).ToList();
    }

    private static bool LaunchingChild(int pid) =>
        OperatingSystem.IsLinux() && ProcFs.ParentPid(pid) == Environment.ProcessId && !ProcFs.IsZombie(pid);

    public bool Contains(string unit, int? processGroup, int pid) =>
        processGroup is { } pgid && pgid > 1 && pgid != Posix.OwnProcessGroup && Posix.ProcessGroupOf(pid) == pgid;

    public void Move(string from, string to) { }
    public void Remove(string unit) { }
    public void RemoveAll() { }
}
