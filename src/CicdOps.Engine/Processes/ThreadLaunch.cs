using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using CicdOps.Engine.Sandbox;

namespace CicdOps.Engine.Processes;

/// <summary>
/// Starts a project's process with its cgroup join and privilege drop done without the `sh` join and `setpriv` execs
/// in front of it (each a whole process start: on a loaded machine they were half the cost of a git call). The start
/// runs on a thread of its own (made ahead of it: <see cref="LaunchThreads"/>), because .NET forks on the calling thread
/// and the child takes that thread's cgroups and credentials:
/// <list type="bullet">
/// <item>cgroup v1: the thread writes "0" to each of the unit's tasks files, which moves that one thread (not the engine),
/// so the child starts inside the unit before its first instruction. The thread does not move back: it ends right after,
/// which takes it out of the unit, while a move back is another cgroup write, which waits for forks and exits all over
/// the machine (and holds up the next process start meanwhile). Members of a unit are counted by their main thread
/// (<see cref="CgroupTracker"/>), so the engine is never taken for one. cgroup v2
/// cannot move a single thread of a domain cgroup (and clone3's CLONE_INTO_CGROUP is out of .NET's reach): there the
/// shell join stays.</item>
/// <item>the drop: the thread clears its inheritable and ambient capabilities and, unless sudo is allowed, empties its
/// bounding set and takes no_new_privs (<see cref="ThreadPrivileges"/>, all inherited by the child and kept across
/// execve); .NET's child then sets the account's groups, gid and uid before its execve (ProcessStartInfo.UserName),
/// which clears every other capability. That is what setpriv --reuid --regid --init-groups --inh-caps=-all
/// [--no-new-privs --bounding-set=-all] did, and the working directory is now entered as the account, not as root.</item>
/// </list>
/// Anything unexpected (a join or a drop step that fails, a passwd entry that no longer matches the account, a start
/// the child refuses) falls back to the exec chain the ProcessStartInfo was built with, which reports as it always did.
/// </summary>
internal static class ThreadLaunch
{
    /// <summary>Where this can run: Linux, as root (only root moves threads and drops to accounts).</summary>
    public static bool Available => s_available;

    private static volatile bool s_available = OperatingSystem.IsLinux() && UnixIds.IsRoot;

    /// <summary>Starts <paramref name="process"/> in <paramref name="form"/>; false (nothing started, the start info as it was) when it could not.</summary>
    public static bool TryStart(Process process, DirectForm form)
    {
        if (!OperatingSystem.IsLinux() || !s_available || !ProcessMachineryReady.Value) return false;
        var psi = process.StartInfo;
        if (form.Drop is { } drop && !PasswdMatches(drop.Account)) return false;
        // Watching for the exit registers a thread pool wait, which may create the pool's wait thread on the calling
        // thread: it must not be this launch's thread (that thread's cgroups and dropped privileges would be the wait
        // thread's, and every pool worker it later creates). The watch starts after the launch, on the caller's thread.
        var raiseEvents = process.EnableRaisingEvents;
        process.EnableRaisingEvents = false;
        var chainFile = psi.FileName;
        var chainArgs = psi.ArgumentList.ToArray();
        psi.FileName = form.File;
        psi.ArgumentList.Clear();
        foreach (var a in form.Args) psi.ArgumentList.Add(a);
        if (form.Drop is { } d) psi.UserName = d.Account.Name;
        Exception? failure = null;
        List<string>? back = null;
        var launchThread = 0;
        LaunchThreads.Run(() =>
        {
            try
            {
                launchThread = Posix.CurrentThreadId();
                if (form.Cgroups is { } cgroups) back = Enter(cgroups);
                if (form.AppendOutputTo is { } log) ThreadStdio.AppendOutputTo(log); // as root, before the drop
                if (form.Drop is { } d) ThreadPrivileges.DropForChild(d.NoNewPrivs);
                process.Start();
            }
            catch (Exception e) { failure = e; }
        });
        // A thread the runtime made on the launch thread that may start processes carries the drop: exec chain from now on.
        if (!LaunchThreadOffspring.Reclaim(form, back, launchThread)) s_available = false;
        process.EnableRaisingEvents = raiseEvents;
        if (failure is null) return true;
        if (failure is not (Win32Exception or IOException or UnauthorizedAccessException)) throw failure;
        psi.UserName = null;
        psi.FileName = chainFile;
        psi.ArgumentList.Clear();
        foreach (var a in chainArgs) psi.ArgumentList.Add(a);
        return false;
    }

    /// <summary>
    /// .NET sets up its child process handling (the signal handling thread among it) at the first start of a process:
    /// done once here, on an ordinary thread, so no launch thread is the one that creates it.
    /// </summary>
    private static readonly Lazy<bool> ProcessMachineryReady = new(() =>
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("/bin/true") { UseShellExecute = false })!;
            p.WaitForExit();
            return true;
        }
        catch (Exception e) when (e is Win32Exception or IOException) { return false; }
    });

    /// <summary>.NET looks the account up by name again: it must still be the uid and gid the plan was made for.</summary>
    private static bool PasswdMatches(ServiceAccount account) =>
        account.Uid != 0 && account.Gid != 0 && PasswdEntries.Available
        && PasswdEntries.Lookup(account.Name) is { } now && now.Uid == account.Uid && now.Gid == account.Gid;

    /// <summary>Moves this thread into each cgroup; returns the tasks files of the cgroups it came from.</summary>
    private static List<string> Enter(IReadOnlyList<ThreadCgroup> cgroups)
    {
        var own = OwnCgroups();
        var back = new List<string>();
        try
        {
            foreach (var c in cgroups)
            {
                var home = c.Hierarchy.Controllers.Select(k => own.GetValueOrDefault(k)).FirstOrDefault(p => p is not null)
                    ?? throw new IOException($"this thread's cgroup in {c.Hierarchy.Path} is unknown");
                var homeTasks = Path.Combine(c.Hierarchy.Path, home.TrimStart('/'), "tasks");
                File.WriteAllText(c.TasksFile, "0"); // "0": the writing thread itself, and only it
                back.Add(homeTasks);
            }
            return back;
        }
        catch
        {
            Leave(back);
            throw;
        }
    }

    private static void Leave(List<string> back)
    {
        // Best effort: the thread ends right after, which leaves the cgroup too.
        foreach (var tasks in back)
        {
            try { File.WriteAllText(tasks, "0"); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    /// <summary>Per controller (or "name=…"), this thread's cgroup path, from /proc/thread-self/cgroup.</summary>
    private static Dictionary<string, string> OwnCgroups()
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines("/proc/thread-self/cgroup"))
        {
            var f = line.Split(':', 3);
            if (f.Length != 3 || f[1].Length == 0) continue;
            foreach (var k in f[1].Split(',')) map[k] = f[2];
        }
        return map;
    }
}

/// <summary>
/// A process as <see cref="ThreadLaunch"/> starts it: the executable (absolute) and its arguments without the join and
/// drop prefixes, the drop to do, the cgroup v1 directories to start in, and the log its output appends to (stdin from
/// /dev/null; null: the start info's own standard streams).
/// </summary>
internal sealed record DirectForm(string File, IReadOnlyList<string> Args, AccountDrop? Drop, IReadOnlyList<ThreadCgroup>? Cgroups,
    string? AppendOutputTo = null);
