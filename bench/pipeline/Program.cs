using System.Diagnostics;
using CicdOps.Engine.Pipelines;
using CicdOps.Engine.Sandbox;

// Pipeline overheads (issue 15): condition evaluation cold and warm, template rendering, and a 10-step pipeline
// against the same 10 commands run by one plain bash script. Runs as the current user (no sandbox) so it measures
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
    var json = "{\"steps\": [" + string.Join(",", Enumerable.Range(0, steps).Select(i =>
        $"{{\"name\": \"s{i}\", \"condition\": \"context.event == 'push'\", \"run\": \"echo step {i} > /dev/null\"}}")) + "]}";
    var pipeline = PipelineReader.Read(json).Definition!;
    var sandbox = new CurrentUserSandbox("bench: runs as the current user");
    var account = sandbox.ResolveAccount(null);
    var script = string.Join("\n", Enumerable.Range(0, steps).Select(i => $"echo step {i} > /dev/null"));
    var runner = new List<double>();
    var plain = new List<double>();
    for (var r = 0; r < rounds + 2; r++)
    {
        sw.Restart();
        var request = new PipelineRunRequest(pipeline, new PipelineContext(), root, Path.Combine(root, "logs-" + r),
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
    double Median(List<double> v) { v.Sort(); return v[v.Count / 2]; }
    var (m1, m2) = (Median(runner), Median(plain));
    Console.WriteLine($"10-step pipeline: {m1:0.0} ms; the same commands in one bash script: {m2:0.0} ms; " +
                      $"overhead {(m1 - m2) / steps:0.0} ms per step (median of {rounds})");
}
finally { Directory.Delete(root, recursive: true); }
