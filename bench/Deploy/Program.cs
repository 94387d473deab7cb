// Deploy overhead benchmark: what the orchestrator itself adds to a deploy of a trivial app.
// The floor's samples are taken half before the deploys and half after them (both halves printed).
//   overhead = (request → healthy) − (time inside git) − (time inside the project's scripts)
// printed beside the floor measured in the same run: the same git fetch + rev-parse + reset and a bare
// run.sh start → health.sh passing, done directly as the project's own user (as root), and the ratio.
// Usage: dotnet run -c Release --project bench/Deploy [-- ROUNDS [--keep-releases N]]
//   --keep-releases 5: release directories (a worktree per commit, current switched when healthy); 0: one working
//   tree reset in place; absent: the project default. --releases is --keep-releases 5.
using CicdOps;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using CicdOps.Engine;
using CicdOps.Engine.Model;

var rounds = args.Length > 0 && int.TryParse(args[0], CultureInfo.InvariantCulture, out var n) ? n : 20;
int? keepReleases = args.Contains("--releases") ? 5 : null;
var keepAt = Array.IndexOf(args, "--keep-releases");
if (keepAt >= 0 && keepAt + 1 < args.Length) keepReleases = int.Parse(args[keepAt + 1], CultureInfo.InvariantCulture);
var loadBefore = LoadAverage();
var root = Directory.CreateTempSubdirectory("cicdops-bench-").FullName;
// As root, projects run as their own users, who must be able to reach their trees below this directory.
File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101);
try
{
    var bare = Path.Combine(root, "origin.git");
    var author = Path.Combine(root, "author");
    Sh.Git(root, "init", "-q", "--bare", "--initial-branch=main", bare);
    Sh.Git(root, "init", "-q", "--initial-branch=main", author);
    Sh.Git(author, "config", "user.email", "bench@example.com");
    Sh.Git(author, "config", "user.name", "bench");
    Sh.Git(author, "remote", "add", "origin", bare);
    Directory.CreateDirectory(Path.Combine(author, ".cicd"));
    // The trivial app: a foreground process; healthy once it has written its commit.
    File.WriteAllText(Path.Combine(author, ".cicd/run.sh"), "#!/bin/bash\necho \"$CICD_COMMIT\" > started\nexec sleep 600\n");
    File.WriteAllText(Path.Combine(author, ".cicd/health.sh"), "#!/bin/bash\ngrep -qx \"$CICD_COMMIT\" started\n");
    Commit(author, "v0");

    using var engine = CicdEngine.Open(new EngineOptions { DataPath = Path.Combine(root, "data"), StopGracePeriod = TimeSpan.FromSeconds(2) });
    engine.RegisterProject(new ProjectSpec
    {
        Name = "bench", Repository = "file://" + bare, Path = Path.Combine(root, "tree"), KeepReleases = keepReleases,
    });
    var releases = engine.GetProject("bench").KeepReleases > 0;
    engine.Wait(engine.RequestDeployment(new DeploymentRequest { Project = "bench" })); // warm-up: clone, JIT

    // Baselines: the same git work and a bare run.sh start, done directly — as the project's user when the engine
    // runs it as one (root), since starting every process through that user is part of the floor too.
    var raw = Path.Combine(root, "raw");
    Sh.Git(root, "clone", "-q", bare, raw);
    if (engine.GetProject("bench").ServiceUser is { } user && engine.IsSandboxed)
    {
        var ids = Sh.Output("getent", root, "passwd", user).Split(':');
        Sh.Run("chown", root, "-R", $"{ids[2]}:{ids[3]}", raw);
        Sh.As = new[] { "setpriv", $"--reuid={ids[2]}", $"--regid={ids[3]}", "--clear-groups", "--" };
        Sh.Home = ids[5];
        // The origin belongs to root: trusted through a global config file, as the engine trusts it (LocalRepositoryTrust).
        Sh.GitConfig = Path.Combine(root, "trust.gitconfig");
        File.WriteAllText(Sh.GitConfig, $"[safe]\n\tdirectory = {bare}\n");
    }
    var rawGit = new List<double>(); var rawRun = new List<double>(); var floors = new List<double>();
    // Half the floor's samples are taken before the deploys and half after: on a shared machine the load moves
    // within a run, and one side alone can land in a quiet or a busy minute the deploys did not see.
    void Floor(int n)
    {
        var g = new List<double>(); var r = new List<double>();
        // Untimed: brings the clone to the branch tip, so each timed fetch is the same no-op in both halves.
        Sh.AsUser(raw, "git", "fetch", "-q", "origin", "+refs/heads/main:refs/remotes/origin/main");
        Sh.AsUser(raw, "git", "reset", "-q", "--hard", "origin/main");
        for (var i = 0; i < n; i++)
        {
            var sw = Stopwatch.StartNew();
            Sh.AsUser(raw, "git", "fetch", "-q", "origin", "+refs/heads/main:refs/remotes/origin/main");
            Sh.AsUser(raw, "git", "rev-parse", "--verify", "refs/remotes/origin/main^{commit}");
            Sh.AsUser(raw, "git", "reset", "-q", "--hard", "origin/main");
            g.Add(sw.Elapsed.TotalMilliseconds);
            sw.Restart();
            var app = Process.Start(Sh.Start("bash", raw, new Dictionary<string, string> { ["CICD_COMMIT"] = "x" + i }, ".cicd/run.sh"))!;
            while (Sh.RunAs("bash", raw, new Dictionary<string, string> { ["CICD_COMMIT"] = "x" + i }, ".cicd/health.sh").ExitCode != 0) { }
            r.Add(sw.Elapsed.TotalMilliseconds);
            app.Kill(true);
            app.WaitForExit();
        }
        rawGit.AddRange(g); rawRun.AddRange(r);
        floors.Add(Percentile(g, 50) + Percentile(r, 50));
    }

    Floor((rounds + 1) / 2);
    // Where the time goes, per deployment: before the first stage (setup), each stage, after the last (switch, prune, finish).
    var phases = new Dictionary<string, List<double>>();
    void Phase(string name, double ms) { if (!phases.TryGetValue(name, out var l)) phases[name] = l = new List<double>(); l.Add(ms); }
    var gitCalls = new List<double>();
    var healthChecks = new List<double>();

    var total = new List<double>(); var git = new List<double>(); var scripts = new List<double>(); var pushToHealthy = new List<double>();
    for (var i = 1; i <= rounds; i++)
    {
        var push = Stopwatch.StartNew();
        Commit(author, $"v{i}");
        var sw = Stopwatch.StartNew();
        var d = engine.Wait(engine.RequestDeployment(new DeploymentRequest { Project = "bench" }));
        sw.Stop(); push.Stop();
        if (d.Status != DeploymentStatus.Succeeded) throw new Exception($"round {i}: {d.Status} {d.Reason}");
        var timing = Regex.Match(engine.ReadDeploymentLog(d.Id).Text, @"git=(\d+)ms scripts=(\d+)ms");
        total.Add(sw.Elapsed.TotalMilliseconds);
        git.Add(double.Parse(timing.Groups[1].Value, CultureInfo.InvariantCulture));
        scripts.Add(double.Parse(timing.Groups[2].Value, CultureInfo.InvariantCulture));
        pushToHealthy.Add(push.Elapsed.TotalMilliseconds);
        gitCalls.Add(int.Parse(Regex.Match(engine.ReadDeploymentLog(d.Id).Text, @"git-calls=(\d+)").Groups[1].Value, CultureInfo.InvariantCulture));
        // The first check runs beside the app's start: a second one is needed when it came before the app was ready.
        healthChecks.Add(int.Parse(Regex.Match(engine.ReadDeploymentLog(d.Id).Text, @"healthy after \d+ ms \((\d+) check").Groups[1].Value, CultureInfo.InvariantCulture));
        Phase("queued → runner starts", (d.StartedAt!.Value - d.QueuedAt).TotalMilliseconds);
        Phase("setup (account, path checks)", (d.Stages[0].StartedAt - d.StartedAt.Value).TotalMilliseconds);
        foreach (var s in d.Stages) Phase("stage " + s.Stage, ((s.FinishedAt ?? s.StartedAt) - s.StartedAt).TotalMilliseconds);
        Phase("after health (switch, prune, finish)", (d.FinishedAt!.Value - (d.Stages[^1].FinishedAt ?? d.Stages[^1].StartedAt)).TotalMilliseconds);
    }
    if (Environment.GetEnvironmentVariable("BENCH_SHOW_LOG") == "1")
        Console.WriteLine(engine.ReadDeploymentLog(engine.GetDeployments("bench").First().Id).Text);
    var overhead = total.Select((t, i) => t - git[i] - scripts[i]).ToList();
    Floor(rounds / 2);

    var floor = Percentile(rawGit, 50) + Percentile(rawRun, 50);
    var ratio = Percentile(total, 50) / floor;
    Console.WriteLine($"deploy benchmark: {rounds} deploys of a trivial app (foreground run.sh, health.sh), {Environment.ProcessorCount} cores, " +
        (releases ? $"release directories (keep {engine.GetProject("bench").KeepReleases})" : "one working tree") + (Sh.As.Length > 0 ? ", baselines as the project's user" : "") +
        $"; load average {loadBefore} before, {LoadAverage()} after");
    Report("request → healthy", total);
    Report("  inside git", git);
    Report("  inside scripts", scripts);
    Report("orchestrator overhead", overhead);
    Report("commit+push → healthy", pushToHealthy);
    foreach (var (name, xs) in phases) Report("  " + name, xs);
    Console.WriteLine($"  git processes per deploy                        p50 {Percentile(gitCalls, 50),7:0}");
    Console.WriteLine($"  health checks per deploy                        p50 {Percentile(healthChecks, 50),7:0}   p90 {Percentile(healthChecks, 90),7:0}      mean {healthChecks.Average(),7:0.00}");
    Report("baseline: git fetch+rev-parse+reset", rawGit);
    Report("baseline: bare run.sh start → health.sh passes", rawRun);
    Console.WriteLine($"floor (baseline git + baseline run, p50s)                 {floor,7:0.0} ms; request → healthy p50 is {ratio:0.00}× the floor");
    Console.WriteLine($"  floor measured before the deploys / after them             {floors[0],7:0.0} / {floors[^1]:0.0} ms");
    Console.WriteLine($"goal: request → healthy p50 ≤ 1.5× the floor → {(ratio <= 1.5 ? "met" : "NOT met")}");
    Console.WriteLine($"goal: overhead p50 < 100 ms → {(Percentile(overhead, 50) < 100 ? "met" : "NOT met")}; push-to-healthy p50 < 1500 ms → {(Percentile(pushToHealthy, 50) < 1500 ? "met" : "NOT met")}");
    engine.UnregisterProject("bench", removeServiceUser: true);
}
finally
{
    try { Directory.Delete(root, true); } catch (IOException) { }
}

static void Commit(string repo, string version)
{
    File.WriteAllText(Path.Combine(repo, "VERSION"), version);
    Sh.Git(repo, "add", "-A");
    Sh.Git(repo, "commit", "-q", "-m", version);
    Sh.Git(repo, "push", "-q", "origin", "HEAD:refs/heads/main");
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

static double Percentile(List<double> xs, int p)
{
    var s = xs.OrderBy(x => x).ToList();
    return s[Math.Clamp((int)Math.Ceiling(p / 100.0 * s.Count) - 1, 0, s.Count - 1)];
}

static void Report(string what, List<double> xs) =>
    Console.WriteLine($"{what,-48} p50 {Percentile(xs, 50),7:0.0} ms   p90 {Percentile(xs, 90),7:0.0} ms   mean {xs.Average(),7:0.0} ms");

static class Sh
{
    /// <summary>Prefix that runs a command as the project's user (setpriv), or nothing.</summary>
    public static string[] As = Array.Empty<string>();
    /// <summary>The project user's home, for what runs as that user (root's is closed to it).</summary>
    public static string? Home;
    public static string? GitConfig;

    public static string Output(string file, string cwd, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = cwd, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output.Trim();
    }

    public static ProcessStartInfo Start(string file, string cwd, Dictionary<string, string> env, params string[] args)
    {
        var argv = As.Concat(new[] { file }).Concat(args).ToList();
        var psi = new ProcessStartInfo(argv[0]) { WorkingDirectory = cwd, UseShellExecute = false };
        foreach (var (k, v) in env) psi.Environment[k] = v;
        if (Home is not null) psi.Environment["HOME"] = Home;
        foreach (var a in argv.Skip(1)) psi.ArgumentList.Add(a);
        return psi;
    }

    public static void Git(string cwd, params string[] args)
    {
        var r = Run("git", cwd, args);
        if (r.ExitCode != 0) throw new Exception($"git {string.Join(' ', args)}: {r.StdErr}");
    }

    /// <summary>A baseline command, as the project's user when <see cref="As"/> is set; it must succeed.</summary>
    public static void AsUser(string cwd, string file, params string[] args)
    {
        var r = RunAs(file, cwd, new Dictionary<string, string>(), args);
        if (r.ExitCode != 0) throw new Exception($"{file} {string.Join(' ', args)}: {r.StdErr}");
    }

    public static (int ExitCode, string StdErr) RunAs(string file, string cwd, Dictionary<string, string> env, params string[] args) =>
        As.Length == 0 ? Run(file, cwd, env, args)
            : Run(As[0], cwd, new Dictionary<string, string>(env) { ["HOME"] = Home ?? "/", ["GIT_CONFIG_GLOBAL"] = GitConfig ?? "/dev/null" }, As.Skip(1).Concat(new[] { file }).Concat(args).ToArray());

    public static (int ExitCode, string StdErr) Run(string file, string cwd, params string[] args) => Run(file, cwd, new Dictionary<string, string>(), args);

    public static (int ExitCode, string StdErr) Run(string file, string cwd, Dictionary<string, string> env, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = cwd, RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var (k, v) in env) psi.Environment[k] = v;
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, err);
    }
}

static class EngineExtensions
{
    public static Deployment Wait(this CicdEngine e, Deployment d) => e.WaitForDeploymentAsync(d.Id, null, CancellationToken.None).GetAwaiter().GetResult();
}
