using System.Diagnostics;
using CicdOps.Engine.Pipelines;
using CicdOps.Engine.Sandbox;

// Pipeline overheads (issue 15): condition evaluation cold and warm, template rendering, and a 10-step pipeline
// against the same 10 commands run by one plain bash script, side by side with the ratio: trivial commands (the
// per-step overhead) and commands that take 0.5 s each (the overhead's share of a typical run). Runs as the current user (no sandbox) so it measures
// the runner, not account switching. Prints numbers; asserts nothing.
var rounds = args.Length > 0 ? int.Parse(args[0]) : 20;
var context = new PipelineContext { Event = "push", Branch = "main", Message = "fix: things" }.ToJson();
var env = PipelineContext.EnvToJson(new Dictionary<string, string> { ["ENABLE_TESTS"] = "true" });
const string condition = "context.event == 'push' && env.ENABLE_TESTS == 'true'";

var sw = Stopwatch.StartNew();
ConditionEvaluator.Evaluate("bench", condition, env, context);
Console.WriteLine($"condition, cold (first in process): {sw.Elapsed.TotalMilliseconds:0.00} ms");
sw.Restart();
const int n = 2000;
for (var i = 0; i < n; i++) ConditionEvaluator.Evaluate("bench", condition, env, context);
Console.WriteLine($"condition, warm: {sw.Elapsed.TotalMilliseconds * 1000 / n:0.0} µs each");

sw.Restart();
CommandTemplate.Render("node scripts/{{context.event}}.js {{context.branch}}", env, context);
Console.WriteLine($"template, cold: {sw.Elapsed.TotalMilliseconds:0.00} ms");
sw.Restart();
for (var i = 0; i < n; i++) CommandTemplate.Render("node scripts/{{context.event}}.js {{context.branch}}", env, context);
Console.WriteLine($"template, warm: {sw.Elapsed.TotalMilliseconds * 1000 / n:0.0} µs each");

var root = Path.Combine(Path.GetTempPath(), "cicdops-pipeline-bench-" + Guid.NewGuid().ToString("N")[..8]);
Directory.CreateDirectory(root);
try
{
    const int steps = 10;
    var sandbox = new CurrentUserSandbox("bench: runs as the current user");
    var account = sandbox.ResolveAccount(null);
    double Median(List<double> v) { v.Sort(); return v[v.Count / 2]; }

    // The same commands through the runner (a condition and one bash per step) and in one plain bash script.
    async Task<(double Runner, double Plain)> Compare(string command, int n)
    {
        var json = "{\"steps\": [" + string.Join(",", Enumerable.Range(0, steps).Select(i =>
            $"{{\"name\": \"s{i}\", \"condition\": \"context.event == 'push'\", \"run\": \"{command.Replace("{i}", i.ToString())}\"}}")) + "]}";
        var pipeline = PipelineReader.Read(json).Definition!;
        var script = string.Join("\n", Enumerable.Range(0, steps).Select(i => command.Replace("{i}", i.ToString())));
        var runner = new List<double>();
        var plain = new List<double>();
        for (var r = 0; r < n + 2; r++)
        {
            sw.Restart();
            var request = new PipelineRunRequest(pipeline, new PipelineContext { Event = "push" }, root, Path.Combine(root, "logs-" + Guid.NewGuid().ToString("N")),
                vars => sandbox.PlanLaunch(account, vars, null), new Dictionary<string, string>());
            var result = await PipelineRunner.RunAsync(request, CancellationToken.None);
            if (result.Status != CicdOps.PipelineStepStatus.Succeeded) throw new InvalidOperationException("the bench pipeline failed");
            var a = sw.Elapsed.TotalMilliseconds;
            sw.Restart();
            var psi = new ProcessStartInfo("/bin/bash") { ArgumentList = { "--noprofile", "--norc", "-e", "-c", script }, WorkingDirectory = root };
            using (var p = Process.Start(psi)!) p.WaitForExit();
            var b = sw.Elapsed.TotalMilliseconds;
            if (r >= 2) { runner.Add(a); plain.Add(b); } // two warm-up rounds
        }
        return (Median(runner), Median(plain));
    }

    var (m1, m2) = await Compare("echo step {i} > /dev/null", rounds);
    Console.WriteLine($"10 trivial steps   runner {m1,9:0.0} ms   plain bash {m2,9:0.0} ms   ratio {m1 / m2,6:0.0}x   " +
                      $"overhead {(m1 - m2) / steps:0.0} ms per step (goal < 50 ms; median of {rounds})");
    // A typical run: ten steps that do work (here 0.5 s each; real builds take longer, which only lowers the share).
    var typicalRounds = Math.Max(3, rounds / 5);
    var (t1, t2) = await Compare("sleep 0.5; echo step {i} > /dev/null", typicalRounds);
    Console.WriteLine($"10 steps of 0.5 s  runner {t1,9:0.0} ms   plain bash {t2,9:0.0} ms   ratio {t1 / t2,6:0.000}x   " +
                      $"overhead {(t1 - t2) / t2 * 100:0.00} % of the run (goal < 1 %; median of {typicalRounds})");
}
finally { Directory.Delete(root, recursive: true); }
