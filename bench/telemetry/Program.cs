using System.Diagnostics;
using CicdOps;
using CicdOps.Engine;
using CicdOps.Engine.Monitoring;
using CicdOps.Engine.Processes;
using CicdOps.Engine.Sandbox;
using CicdOps.Engine.State;

// Issue 13: what one pass of the listener's monitor (telemetry sampler + watchdog tick) costs with N projects, each a
// real running app (a python3 process holding a listening socket, launched into its unit exactly as the engine
// launches apps), under each process tracking this host offers. CPU is this process's own CPU time (all threads, GC
// included) across the passes; the baseline is the same pass over a data directory with no projects, in the same run.
// "% of one core" is CPU per pass / the 3 s sample interval. Prints numbers; asserts nothing.
var projects = args.Length > 0 ? int.Parse(args[0]) : 200;
var passes = args.Length > 1 ? int.Parse(args[1]) : 30;
var interval = TimeSpan.FromSeconds(3);
if (!UnixIds.IsRoot) Console.WriteLine("warning: not root: cgroup tracking is unavailable, only process groups are measured");

var modes = new List<ProcessTracking> { ProcessTracking.Auto, ProcessTracking.ProcessGroup };
Console.WriteLine($"{projects} projects, {passes} passes each, sample interval {interval.TotalSeconds:0} s, {Environment.ProcessorCount} cores");
foreach (var mode in modes)
{
    var root = Path.Combine(Path.GetTempPath(), "cicdops-telemetry-bench-" + Guid.NewGuid().ToString("N")[..8]);
    var empty = Path.Combine(Path.GetTempPath(), "cicdops-telemetry-bench-empty-" + Guid.NewGuid().ToString("N")[..8]);
    using var engine = CicdEngine.Open(new EngineOptions { DataPath = root, ProcessTracking = mode });
    using var baseline = CicdEngine.Open(new EngineOptions { DataPath = empty, ProcessTracking = mode });
    var apps = new List<Process>();
    try
    {
        var ctx = engine.Context;
        for (var i = 0; i < projects; i++)
        {
            var name = $"bench-{i:000}";
            var dir = Path.Combine(root, "trees", name);
            Directory.CreateDirectory(dir);
            ctx.Db.Write(c => ProjectStore.Insert(c, new Project
            {
                Name = name, Repository = "file:///nowhere.git", Branch = "main", Path = dir, Status = ProjectStatus.Healthy,
                CreatedAt = DateTimeOffset.UtcNow,
            }));
            var spec = new LaunchSpec(new[] { "python3", "-S", "-c",
                "import socket,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen()\ntime.sleep(3600)" }, null);
            var psi = ProcessLaunch.Create(spec, dir, ctx.Tracker.JoinPrefix(AppUnits.App(name)));
            psi.RedirectStandardInput = true;
            var p = Process.Start(psi)!;
            apps.Add(p);
            ctx.Db.Write(c =>
            {
                ProjectStore.Set(c, name, "current_commit", new string('a', 40));
                ProjectStore.SetApp(c, name, new AppProcess(p.Id, p.Id, ProcFs.StartTicks(p.Id)));
            });
        }
        // Every app listening before measuring (python takes a moment to start).
        var sampler = new TelemetrySampler(ctx);
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (sampler.Sample().Snapshot.Apps.Count(a => a.ListeningPorts.Count == 1) < projects && DateTime.UtcNow < deadline) Thread.Sleep(500);
        var check = sampler.Sample().Snapshot;
        Console.WriteLine($"\n{engine.ProcessTrackingMechanism}: {check.Apps.Count(a => a.Processes == 1)} apps with 1 process, " +
                          $"{check.Apps.Count(a => a.ListeningPorts.Count == 1)} with their port found, RSS {check.Apps.Sum(a => a.MemoryBytes) / 1048576} MiB in all");

        using var stop = new CancellationTokenSource();
        var full = Measure(new TelemetrySampler(ctx), new Watchdog(engine, ctx, _ => { }, stop.Token), passes);
        var none = Measure(new TelemetrySampler(baseline.Context), new Watchdog(baseline, baseline.Context, _ => { }, stop.Token), passes);
        Report("baseline (no projects)", none, interval);
        Report($"{projects} projects", full, interval);
        Report($"{projects} projects minus baseline", (full.Cpu - none.Cpu, full.Wall - none.Wall), interval);
    }
    finally
    {
        foreach (var p in apps) { try { p.Kill(); p.WaitForExit(5000); } catch (InvalidOperationException) { } p.Dispose(); }
        engine.Context.Tracker.RemoveAll();
        Directory.Delete(root, true);
        Directory.Delete(empty, true);
    }
}

// Per pass, after a warm-up (the tiered JIT recompiles the hot path during the first passes).
static (double Cpu, double Wall) Measure(TelemetrySampler sampler, Watchdog watchdog, int passes)
{
    for (var i = 0; i < 10; i++) watchdog.Tick(sampler.Sample());
    var self = Process.GetCurrentProcess();
    self.Refresh();
    var cpu0 = self.TotalProcessorTime;
    var wall = Stopwatch.StartNew();
    for (var i = 0; i < passes; i++) watchdog.Tick(sampler.Sample());
    wall.Stop();
    self.Refresh();
    return ((self.TotalProcessorTime - cpu0).TotalMilliseconds / passes, wall.Elapsed.TotalMilliseconds / passes);
}

static void Report(string what, (double Cpu, double Wall) m, TimeSpan interval) =>
    Console.WriteLine($"  {what,-36} CPU {m.Cpu,7:0.00} ms/pass  wall {m.Wall,7:0.00} ms/pass  = {100 * m.Cpu / interval.TotalMilliseconds,5:0.00} % of one core at one pass per {interval.TotalSeconds:0} s");
