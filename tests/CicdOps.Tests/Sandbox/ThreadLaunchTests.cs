using System.Diagnostics;
using System.Runtime.Versioning;
using CicdOps.Engine;
using CicdOps.Engine.Processes;
using CicdOps.Engine.Sandbox;
using CicdOps.Tests.Support;
using Xunit;

namespace CicdOps.Tests.Sandbox;

/// <summary>
/// Scripts and git start with the cgroup join and the privilege drop done by the starting thread (no `sh` join, no
/// setpriv exec): the same guarantees as the exec chain, the engine's own threads untouched.
/// </summary>
[SupportedOSPlatform("linux")]
[Collection(ProcessEnvironmentCollection.Name)]
public class ThreadLaunchTests
{
    [RootFact]
    public void A_direct_start_runs_the_script_as_the_account_without_capabilities_with_no_new_privs_and_leaves_the_engine_as_it_was()
    {
        using var s = new SandboxScratch();
        var a = s.CreateAccount("direct");
        var before = OwnThreadsStatus();
        var ran = Start(s.Sandbox.PlanLaunch(a, new Dictionary<string, string> { ["CICD_PROJECT"] = "direct" }, null), "/",
            null, "/bin/sh", "-c", "id -u; id -g; id -G; cat /proc/self/status");

        Assert.True(ran.ExitCode == 0, ran.Stderr);
        var lines = ran.Stdout.Split('\n');
        Assert.Equal(a.Uid.ToString(), lines[0]);
        Assert.Equal(a.Gid.ToString(), lines[1]);
        Assert.Equal(a.Gid.ToString(), lines[2]);
        Assert.Contains("NoNewPrivs:\t1", ran.Stdout);
        foreach (var set in new[] { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" })
            Assert.Contains($"{set}:\t0000000000000000", ran.Stdout);
        // Started as setsid → the script: no setpriv (nor a join shell) in between.
        Assert.Equal(new[] { "/bin/sh", "-c" }, ran.Argv.Take(2));
        // The thread that dropped was one of its own: every thread of the engine keeps what it had.
        Assert.Equal(before, OwnThreadsStatus());
        Assert.Contains("NoNewPrivs:\t0", before);
    }

    [RootFact]
    public void A_direct_start_for_install_with_sudo_keeps_no_new_privs_off_and_still_holds_no_capabilities()
    {
        using var s = new SandboxScratch();
        var a = s.CreateAccount("directsudo");
        var ran = Start(s.Sandbox.PlanLaunch(a, null, null, allowSudo: true), "/", null, "/bin/cat", "/proc/self/status");

        Assert.True(ran.ExitCode == 0, ran.Stderr);
        Assert.Contains($"Uid:\t{a.Uid}\t{a.Uid}\t{a.Uid}\t{a.Uid}", ran.Stdout);
        Assert.Contains("NoNewPrivs:\t0", ran.Stdout);
        foreach (var set in new[] { "CapInh", "CapPrm", "CapEff", "CapAmb" })
            Assert.Contains($"{set}:\t0000000000000000", ran.Stdout);
    }

    [RootFact]
    public void On_cgroup_v1_the_process_is_in_its_unit_from_its_start_and_the_starting_thread_ends_without_moving_another()
    {
        if (!File.Exists("/sys/fs/cgroup/pids/tasks")) Assert.Fail("this host has no cgroup v1 pids hierarchy; the test needs one");
        using var s = new SandboxScratch();
        var a = s.CreateAccount("directcg");
        var tracker = (CgroupTracker)AppTrackerFactory.Create(ProcessTracking.CgroupV1, s.DataPath);
        try
        {
            var join = tracker.JoinPrefix("deploy-1");
            Assert.NotNull(Assert.IsType<CgroupJoin>(join).Threads);
            var before = OwnThreadsCgroups();
            // The script reads its own cgroups first thing: there is no shell before it that could have joined.
            var ran = Start(s.Sandbox.PlanLaunch(a, null, null), "/", join, "/bin/cat", "/proc/self/cgroup");

            Assert.True(ran.ExitCode == 0, ran.Stderr);
            var unit = tracker.UnitPath("deploy-1")["/sys/fs/cgroup/pids".Length..];
            Assert.Contains($":pids:{unit}", ran.Stdout);
            Assert.Equal(before, OwnThreadsCgroups());
            // The launch thread ends where it is (a move back would be one more cgroup write): then none of ours is there.
            Assert.False(OwnThreadStaysIn(Path.Combine(tracker.UnitPath("deploy-1"), "tasks")), "a thread of the engine stayed in the unit");
        }
        finally { tracker.RemoveAll(); }
    }

    [RootFact]
    public void A_process_with_only_a_thread_in_a_unit_is_not_a_member_so_no_stop_or_move_takes_the_engine()
    {
        if (!File.Exists("/sys/fs/cgroup/pids/tasks")) Assert.Fail("this host has no cgroup v1 pids hierarchy; the test needs one");
        using var s = new SandboxScratch();
        var tracker = (CgroupTracker)AppTrackerFactory.Create(ProcessTracking.CgroupV1, s.DataPath);
        try
        {
            var join = (CgroupJoin)tracker.JoinPrefix("app-x");
            using var sleeper = Process.Start("/bin/sleep", "300");
            File.WriteAllText(tracker.UnitPath("app-x") + "/cgroup.procs", sleeper.Id.ToString());
            var members = new List<int>();
            var procs = Array.Empty<string>();
            Exception? failed = null;
            var t = new Thread(() =>
            {
                // As ThreadLaunch does: this thread alone joins (it shows in cgroup.procs), then goes back.
                try
                {
                    var home = File.ReadAllLines("/proc/thread-self/cgroup").Single(l => l.Split(':')[1] == "pids").Split(':', 3)[2];
                    File.WriteAllText(join.Threads![0].TasksFile, "0");
                    try
                    {
                        procs = File.ReadAllLines(tracker.UnitPath("app-x") + "/cgroup.procs");
                        members.AddRange(tracker.Members("app-x", null));
                        tracker.Move("app-x", "drain-x");
                    }
                    finally { File.WriteAllText("/sys/fs/cgroup/pids" + home.TrimEnd('/') + "/tasks", "0"); }
                }
                catch (Exception e) { failed = e; }
            });
            t.Start();
            t.Join();
            sleeper.Kill();
            sleeper.WaitForExit();

            Assert.Null(failed);
            Assert.Contains(Environment.ProcessId.ToString(), procs);
            Assert.Equal(new[] { sleeper.Id }, members);
            Assert.DoesNotContain("drain-x", File.ReadAllText("/proc/self/cgroup")); // the engine was not moved whole
        }
        finally { tracker.RemoveAll(); }
    }

    [RootFact]
    public void A_thread_made_on_the_launch_thread_while_it_was_in_a_unit_is_moved_back_and_reported_unless_it_never_starts_processes()
    {
        if (!File.Exists("/sys/fs/cgroup/pids/tasks")) Assert.Fail("this host has no cgroup v1 pids hierarchy; the test needs one");
        using var s = new SandboxScratch();
        var tracker = (CgroupTracker)AppTrackerFactory.Create(ProcessTracking.CgroupV1, s.DataPath);
        using var release = new ManualResetEventSlim();
        try
        {
            var join = (CgroupJoin)tracker.JoinPrefix("deploy-offspring");
            var unitTasks = join.Threads!.Select(t => t.TasksFile).ToList();
            var homes = new List<string>();
            int strayTid = 0;
            Thread? stray = null;
            // As the runtime does with its lazily made threads: the launch thread, inside the unit, creates one.
            var launch = new Thread(() =>
            {
                foreach (var c in join.Threads!)
                {
                    var own = File.ReadAllLines("/proc/thread-self/cgroup").Select(l => l.Split(':', 3))
                        .First(f => f[1].Split(',').Intersect(c.Hierarchy.Controllers).Any())[2];
                    homes.Add(Path.Combine(c.Hierarchy.Path, own.TrimStart('/'), "tasks"));
                    File.WriteAllText(c.TasksFile, "0");
                }
                using var started = new ManualResetEventSlim();
                stray = new Thread(() => { strayTid = CurrentThreadId(); started.Set(); release.Wait(); }) { IsBackground = true, Name = "offspring-test" };
                stray.Start();
                started.Wait();
                foreach (var home in homes) File.WriteAllText(home, "0");
            });
            launch.Start();
            launch.Join();
            Assert.Contains(unitTasks, f => File.ReadAllLines(f).Contains(strayTid.ToString()));

            var harmless = LaunchThreadOffspring.Reclaim(new DirectForm("/bin/true", Array.Empty<string>(), null, join.Threads), homes);

            Assert.False(harmless); // a thread with any other name might start processes
            Assert.DoesNotContain(unitTasks, f => File.ReadAllLines(f).Contains(strayTid.ToString()));
            Assert.DoesNotContain("deploy-offspring", File.ReadAllText($"/proc/self/task/{strayTid}/cgroup"));
        }
        finally
        {
            release.Set();
            tracker.RemoveAll();
        }
    }

    [RootFact]
    public void Starting_with_exit_events_on_leaves_no_engine_thread_in_the_unit_or_with_no_new_privs()
    {
        if (!File.Exists("/sys/fs/cgroup/pids/tasks")) Assert.Fail("this host has no cgroup v1 pids hierarchy; the test needs one");
        using var s = new SandboxScratch();
        var a = s.CreateAccount("directev");
        var tracker = (CgroupTracker)AppTrackerFactory.Create(ProcessTracking.CgroupV1, s.DataPath);
        try
        {
            var join = tracker.JoinPrefix("deploy-events");
            for (var i = 0; i < 5; i++)
            {
                var psi = ProcessLaunch.Create(new LaunchSpec(new[] { "/bin/true" }, s.Sandbox.PlanLaunch(a, null, null)), "/", join);
                using var p = new Process { StartInfo = psi, EnableRaisingEvents = true };
                var exited = new TaskCompletionSource();
                p.Exited += (_, _) => exited.TrySetResult();
                ProcessLaunch.Start(p);
                Assert.True(exited.Task.Wait(TimeSpan.FromSeconds(30)), "the Exited event must still be raised");
                Assert.Equal("/bin/true", psi.ArgumentList.LastOrDefault() ?? psi.FileName);
                Assert.True(psi.ArgumentList.Count <= 1, "it must start directly: " + string.Join(' ', psi.ArgumentList));
            }
            Assert.DoesNotContain("deploy-events", OwnThreadsCgroups());
            Assert.DoesNotContain("NoNewPrivs:\t1", OwnThreadsStatus());
        }
        finally { tracker.RemoveAll(); }
    }

    [RootFact]
    public void On_cgroup_v1_an_app_starts_as_setsid_then_its_command_appending_to_its_log_with_stdin_from_dev_null_and_the_engines_own_streams_untouched()
    {
        if (!File.Exists("/sys/fs/cgroup/pids/tasks")) Assert.Fail("this host has no cgroup v1 pids hierarchy; the test needs one");
        using var s = new SandboxScratch();
        var a = s.CreateAccount("directapp");
        using var dir = new TempDirectory("directapp");
        var log = dir.Combine("app.log");
        File.WriteAllText(log, "earlier line\n"); // appended to, never truncated
        var tracker = (CgroupTracker)AppTrackerFactory.Create(ProcessTracking.CgroupV1, s.DataPath);
        var ownStreams = new[] { 0, 1, 2 }.Select(fd => new FileInfo($"/proc/self/fd/{fd}").LinkTarget).ToList();
        try
        {
            var script = "echo out; echo err >&2; readlink /proc/self/fd/0; grep ^Uid /proc/self/status; grep :pids: /proc/self/cgroup";
            using var app = AppLauncher.Start(new LaunchSpec(new[] { "/bin/sh", "-c", script }, s.Sandbox.PlanLaunch(a, null, null)),
                "/", log, join: tracker.JoinPrefix("app-direct"));
            Assert.True(app.WaitForExit(30_000));

            // setsid → the command: no root shell opening the log, no setpriv.
            Assert.Equal(new[] { "/bin/sh", "-c", script }, app.StartInfo.ArgumentList);
            var written = File.ReadAllText(log);
            Assert.StartsWith("earlier line\nout\nerr\n/dev/null\n", written);
            Assert.Contains($"Uid:\t{a.Uid}\t{a.Uid}\t{a.Uid}\t{a.Uid}", written);
            Assert.Contains(tracker.UnitPath("app-direct")["/sys/fs/cgroup/pids".Length..], written);
            Assert.Equal(ownStreams, new[] { 0, 1, 2 }.Select(fd => new FileInfo($"/proc/self/fd/{fd}").LinkTarget).ToList());
        }
        finally { tracker.RemoveAll(); }
    }

    [RootFact]
    public void A_working_directory_the_account_cannot_enter_falls_back_to_the_exec_chain_which_starts_as_before()
    {
        using var s = new SandboxScratch();
        var a = s.CreateAccount("directcwd");
        using var dir = new TempDirectory("directcwd");
        File.SetUnixFileMode(dir.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var ran = Start(s.Sandbox.PlanLaunch(a, null, null), dir.Path, null, "/bin/cat", "/proc/self/status");

        Assert.True(ran.ExitCode == 0, ran.Stderr);
        Assert.Contains($"Uid:\t{a.Uid}\t{a.Uid}\t{a.Uid}\t{a.Uid}", ran.Stdout);
        Assert.Contains("NoNewPrivs:\t1", ran.Stdout);
        Assert.Contains("CapBnd:\t0000000000000000", ran.Stdout);
        Assert.Contains("--no-new-privs", ran.Argv); // through setpriv, as before
    }

    private static Ran Start(LaunchPlan plan, string cwd, IReadOnlyList<string>? join, params string[] argv)
    {
        var psi = ProcessLaunch.Create(new LaunchSpec(argv, plan), cwd, join);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        using var p = new Process { StartInfo = psi };
        ProcessLaunch.Start(p);
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        // What was started after setsid (the start info holds the form that ran).
        var args = psi.ArgumentList.ToList();
        return new Ran(p.ExitCode, stdout, stderr.Result, args);
    }

    /// <summary>No_new_privs and capability lines of every thread of this process.</summary>
    /// <summary>
    /// Each thread's name, credentials and no_new_privs, but those that may carry a drop for a moment or for good: other
    /// tests' launch threads at work (tests run in parallel in this process) and the runtime's JIT and GC workers, which
    /// LaunchThreadOffspring lets keep it (they never start processes).
    /// </summary>
    private static string OwnThreadsStatus() => string.Join("\n", Directory.GetDirectories("/proc/self/task").OrderBy(d => d)
        .Select(d =>
        {
            try
            {
                var name = File.ReadAllText(d + "/comm").Trim();
                if (name is "cicdops-launch" or ".NET Tiered Com" or ".NET BGC") return "";
                return string.Join("|", File.ReadAllLines(d + "/status").Where(l => l.StartsWith("Cap") || l.StartsWith("NoNewPrivs") || l.StartsWith("Uid")));
            }
            catch (IOException) { return ""; }
        })
        .Where(l => l.Length > 0).Distinct());

    /// <summary>Each thread's cgroups, but launch threads' (at work, or ending where their launch left them).</summary>
    private static string OwnThreadsCgroups() => string.Join("\n", Directory.GetDirectories("/proc/self/task")
        .Select(d =>
        {
            try { return File.ReadAllText(d + "/comm").Trim() == "cicdops-launch" ? "" : File.ReadAllText(d + "/cgroup"); }
            catch (IOException) { return ""; }
        })
        .Where(l => l.Length > 0).Distinct());

    /// <summary>Whether any thread of this process is in <paramref name="unitTasks"/>, given a moment for launch threads to end.</summary>
    private static bool OwnThreadStaysIn(string unitTasks)
    {
        var until = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var own = Directory.GetDirectories("/proc/self/task").Select(Path.GetFileName).ToHashSet();
            if (!File.ReadAllLines(unitTasks).Any(own.Contains)) return false;
            if (DateTime.UtcNow > until) return true;
            Thread.Sleep(10);
        }
    }

    /// <summary>The kernel's id of the calling thread (/proc/thread-self links to PID/task/TID).</summary>
    private static int CurrentThreadId() => int.Parse(Path.GetFileName(new DirectoryInfo("/proc/thread-self").LinkTarget!));

    private sealed record Ran(int ExitCode, string Stdout, string Stderr, IReadOnlyList<string> Argv);
}
