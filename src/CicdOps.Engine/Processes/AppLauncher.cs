using System.Diagnostics;

namespace CicdOps.Engine.Processes;

/// <summary>
/// Starts .cicd/run.sh detached: its own session and process group, stdin from /dev/null, output appended
/// to the project's app log, so the app keeps running (and logging) after the CLI call or pwsh session that
/// deployed it has ended. The shell around the app runs as the engine (it opens the root-only log, or feeds
/// the masking log pump); only the app itself goes through the plan's privilege drop.
/// </summary>
internal static class AppLauncher
{
    // Constant scripts: the log path, the pump and the app's argv arrive as positional arguments, never spliced in.
    private const string RedirectAndExec = "log=$1; shift; exec \"$@\" >>\"$log\" 2>&1 </dev/null";

    // $1 log (for the pump's own errors); $2 = N, then N NAME=VALUE pairs for the pump's environment;
    // then M, then M words of the pump's argv; the rest is the app. The pump starts as a process
    // substitution, then the shell execs the app with its output on the pump's pipe: the launched pid *is*
    // the app (so liveness and exit codes are the app's), and the pump drains until the last writer closes.
    private const string ExecIntoPump =
        "log=$1; n=$2; shift 2; penv=(\"${@:1:n}\"); shift \"$n\"; " +
        "m=$1; shift; pump=(\"${@:1:m}\"); shift \"$m\"; " +
        "exec > >(exec env -i \"${penv[@]}\" \"${pump[@]}\" >>\"$log\" 2>&1) 2>&1 </dev/null; exec \"$@\"";

    // What the pump (the engine's own CLI) needs from our environment; none of it is secret.
    private static readonly string[] PumpEnvironment =
        { "PATH", "HOME", "LANG", "DOTNET_ROOT", "DOTNET_ROOT_X64", "DOTNET_CLI_HOME", DataDirectory.EnvironmentVariable, Secrets.MasterKey.EnvironmentVariable };

    /// <summary>
    /// Starts <paramref name="app"/> detached, its output appended to <paramref name="logPath"/>: through
    /// <paramref name="pump"/> (an argv that masks secrets and appends to the log itself) when given,
    /// otherwise redirected directly. <paramref name="join"/> puts the shell, the pump and the app into the app's
    /// tracking unit before any of them runs.
    /// </summary>
    public static Process Start(LaunchSpec app, string workingDirectory, string logPath, IReadOnlyList<string>? pump = null, IReadOnlyList<string>? join = null)
    {
        var inner = new List<string>();
        if (app.Plan is { } plan) inner.AddRange(plan.Prefix);
        inner.AddRange(app.Argv);

        List<string> outer;
        IReadOnlyList<string>? threadJoin = null;
        if (pump is { Count: > 0 })
        {
            var penv = PumpEnvironment
                .Select(k => (k, v: Environment.GetEnvironmentVariable(k)))
                .Where(e => !string.IsNullOrEmpty(e.v))
                .Select(e => $"{e.k}={e.v}").ToList();
            outer = new List<string> { "/bin/bash", "-c", ExecIntoPump, "cicdops-app", logPath, penv.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            outer.AddRange(penv);
            outer.Add(pump.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
            outer.AddRange(pump);
        }
        else if (join is { Count: > 3 } && join[0] == "/bin/sh" && join[2] == CgroupTracker.JoinScript)
        {
            // The cgroup join is a shell already: it redirects too, one process fewer before the app.
            outer = new List<string> { "/bin/sh", "-c", CgroupTracker.JoinThenAppendToLog };
            outer.AddRange(join.Skip(3));
            outer.Add(logPath);
            // On cgroup v1 the starting thread can join instead (ThreadLaunch), and redirect and drop too (below).
            if (join is CgroupJoin { Threads: not null }) threadJoin = join;
            join = null;
        }
        else outer = new List<string> { "/bin/sh", "-c", RedirectAndExec, "cicdops-run", logPath };
        outer.AddRange(inner);

        // The plan's environment is the whole environment (its prefix is already in the argv).
        var psi = ProcessLaunch.Create(new LaunchSpec(outer, null), workingDirectory, join);
        if (app.Plan is { } p)
        {
            psi.Environment.Clear();
            foreach (var (k, v) in p.Environment) psi.Environment[k] = v;
        }
        if (threadJoin is not null)
        {
            // setsid → run.sh: the launch thread opens the root-only log as its child's stdout and stderr and drops to the
            // account itself (ThreadStdio, ThreadLaunch). Where that cannot be, the chain's root shell opens the log and
            // the plan's setpriv drops after it.
            var argv = app.Argv.ToList();
            if (ProcessLaunch.HasOwnGroups) argv.Insert(0, psi.FileName);
            ProcessLaunch.OfferDirect(psi, argv, app.Plan, threadJoin, appendOutputTo: logPath);
        }
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        // Started inside its cgroup v1 unit, the launch is a member from its first instruction: a stop (cgroup tracking is
        // authoritative) takes it whatever its uid or group, so there is nothing to wait for.
        if (!ProcessLaunch.Start(process) || threadJoin is null) AwaitBecameProjects(process, app.Plan?.Account.Uid);
        return process;
    }

    /// <summary>
    /// Returns once the launch is the project's (leads its own process group, runs as the account after the privilege
    /// drop) or has ended, at most 2 s. Until then it is a root process in the engine's group, which no stop counts as
    /// the project's: a removal or deploy right after a launch would miss the app, and it would outlive its account.
    /// </summary>
    private static void AwaitBecameProjects(Process process, uint? uid)
    {
        if (!OperatingSystem.IsLinux()) return;
        var until = DateTime.UtcNow.AddSeconds(2);
        var pid = process.Id;
        while (DateTime.UtcNow < until && !process.HasExited)
        {
            var grouped = !ProcessLaunch.HasOwnGroups || Posix.ProcessGroupOf(pid) == pid;
            if (grouped && (uid is null || ProcFs.Uid(pid) == uid)) return;
            Thread.Sleep(1);
        }
    }
}
