using System.Runtime.Versioning;
using CicdOps.Engine.Pipelines;
using CicdOps.Engine.Sandbox;
using CicdOps.Tests.Sandbox;

namespace CicdOps.Tests.Pipelines;

/// <summary>One service account for the runner tests of this class (creating users is slow).</summary>
[SupportedOSPlatform("linux")]
public sealed class RunnerAccount : IDisposable
{
    internal SandboxScratch Scratch { get; } = new();
    internal ServiceAccount Account { get; }

    public RunnerAccount() => Account = Scratch.CreateAccount("pipe-" + Guid.NewGuid().ToString("N")[..6]);

    public void Dispose() => Scratch.Dispose();
}

/// <summary>
/// Pipelines run for real: bash as the project's service user in a workspace it owns, conditions, templates,
/// failures, continueOnError, timeouts, cancellation, secrets exported and masked in the step logs.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class PipelineRunnerTests : IClassFixture<RunnerAccount>
{
    private readonly RunnerAccount _fixture;
    private readonly string _workspace;
    private readonly string _logs;

    public PipelineRunnerTests(RunnerAccount fixture)
    {
        _fixture = fixture;
        var id = Guid.NewGuid().ToString("N")[..8];
        _workspace = fixture.Scratch.ProjectDir("ws-" + id);
        fixture.Scratch.Sandbox.PrepareProjectPath(_workspace, fixture.Account);
        _logs = Path.Combine(fixture.Scratch.Root, "logs-" + id);
    }

    private Task<PipelineRunResult> Run(string json, PipelineContext? context = null, Dictionary<string, string>? secrets = null, CancellationToken ct = default)
    {
        var read = PipelineReader.Read(json);
        Assert.True(read.IsValid, string.Join("\n", read.Problems));
        secrets ??= new();
        var request = new PipelineRunRequest(read.Definition!, context ?? new PipelineContext { Event = "push", Branch = "main" }, _workspace, _logs,
            vars => _fixture.Scratch.Sandbox.PlanLaunch(_fixture.Account, vars, secrets), secrets);
        return PipelineRunner.RunAsync(request, ct);
    }

    private static string Log(PipelineStepResult step) => File.ReadAllText(step.LogPath!);

    [RootFact]
    public async Task Steps_run_in_order_as_the_service_user_with_env_and_marked_timestamped_logs()
    {
        var run = await Run("""
            {"env": {"GREETING": "hello"},
             "steps": [
               {"name": "who", "run": ["id -un", "echo oops >&2", "touch made-by-step"]},
               {"name": "env", "env": {"TARGET": "world"}, "run": "echo \"$GREETING $TARGET ci=$CI\""}
             ]}
            """);
        Assert.Equal(PipelineStepStatus.Succeeded, run.Status);
        Assert.All(run.Steps, s => Assert.Equal(PipelineStepStatus.Succeeded, s.Status));
        Assert.Equal(0, run.Steps[0].ExitCode);
        var log = Log(run.Steps[0]);
        Assert.Matches(@"(?m)^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z out  " + _fixture.Account.Name + "$", log);
        Assert.Matches(@"(?m)^\S+Z err  oops$", log);
        Assert.Matches(@"(?m)^\S+Z cicd \+ id -un$", log);
        // Made in the workspace, by the service user.
        var made = Path.Combine(_workspace, "made-by-step");
        Assert.Equal(_fixture.Account.Uid.ToString(), Support.Run.Command("stat", null, "-c", "%u", made).Trim());
        Assert.Contains("out  hello world ci=true", Log(run.Steps[1]));
    }

    [RootFact]
    public async Task Conditions_skip_steps_and_a_throwing_condition_fails_the_run()
    {
        var run = await Run("""
            {"steps": [
               {"name": "pushes only", "condition": "context.event == 'push'", "run": "true"},
               {"name": "prs only", "condition": "context.event == 'pull_request'", "run": "touch should-not-exist"},
               {"name": "broken", "condition": "context.nope.deeper", "run": "true"},
               {"name": "after", "run": "touch after"}
             ]}
            """);
        Assert.Equal(PipelineStepStatus.Failed, run.Status);
        Assert.Equal(new[] { PipelineStepStatus.Succeeded, PipelineStepStatus.Skipped, PipelineStepStatus.Failed, PipelineStepStatus.NotRun },
            run.Steps.Select(s => s.Status));
        Assert.Contains("condition of step 'broken' failed", run.Steps[2].Reason);
        Assert.False(File.Exists(Path.Combine(_workspace, "should-not-exist")));
        Assert.False(File.Exists(Path.Combine(_workspace, "after")));
    }

    [RootFact]
    public async Task A_condition_looping_forever_fails_the_run_at_a_limit_naming_the_step()
    {
        var run = await Run("""
            {"steps": [
               {"name": "spins", "condition": "(() => { while (true) {} })()", "run": "touch should-not-exist"},
               {"name": "after", "run": "touch after"}
             ]}
            """);
        Assert.Equal(PipelineStepStatus.Failed, run.Status);
        Assert.Equal(new[] { PipelineStepStatus.Failed, PipelineStepStatus.NotRun }, run.Steps.Select(s => s.Status));
        Assert.Contains("condition of step 'spins'", run.Steps[0].Reason);
        Assert.Contains("failed: ran more than", run.Steps[0].Reason);
        Assert.False(File.Exists(Path.Combine(_workspace, "should-not-exist")));
    }

    [RootFact]
    public async Task The_first_failing_command_fails_the_step_and_later_steps_are_not_run_unless_continueOnError()
    {
        var run = await Run("""
            {"steps": [
               {"name": "tolerated", "continueOnError": true, "run": ["exit 3", "touch not-reached"]},
               {"name": "fails", "run": ["true", "exit 7", "touch not-reached-either"]},
               {"name": "later", "run": "touch later"}
             ]}
            """);
        Assert.Equal(PipelineStepStatus.Failed, run.Status);
        Assert.Equal(PipelineStepStatus.Failed, run.Steps[0].Status);
        Assert.Equal(3, run.Steps[0].ExitCode);
        Assert.Equal(PipelineStepStatus.Failed, run.Steps[1].Status);
        Assert.Equal(7, run.Steps[1].ExitCode);
        Assert.Equal("command 2 of 3 exited with code 7", run.Steps[1].Reason);
        Assert.Equal(PipelineStepStatus.NotRun, run.Steps[2].Status);
        Assert.Null(run.Steps[2].LogPath);
        foreach (var f in new[] { "not-reached", "not-reached-either", "later" })
            Assert.False(File.Exists(Path.Combine(_workspace, f)), f);
    }

    [RootFact]
    public async Task A_step_over_its_timeout_is_stopped_with_everything_it_started()
    {
        var run = await Run("""
            {"steps": [
               {"name": "slow", "timeout": 1, "run": "sleep 300 & echo $! > child.pid; wait"},
               {"name": "later", "run": "true"}
             ]}
            """);
        Assert.Equal(PipelineStepStatus.TimedOut, run.Status);
        Assert.Equal(PipelineStepStatus.TimedOut, run.Steps[0].Status);
        Assert.Equal("timed out after 1 s", run.Steps[0].Reason);
        Assert.Equal(PipelineStepStatus.NotRun, run.Steps[1].Status);
        var child = int.Parse(File.ReadAllText(Path.Combine(_workspace, "child.pid")).Trim());
        Assert.False(Directory.Exists($"/proc/{child}") && !File.ReadAllText($"/proc/{child}/stat").Contains(") Z "), "the step's background child survived");
    }

    [RootFact]
    public async Task Background_processes_a_command_leaves_end_with_it()
    {
        var run = await Run("""{"steps": [{"name": "daemon", "run": ["sleep 300 >/dev/null 2>&1 & echo $! > bg.pid", "true"]}]}""");
        Assert.Equal(PipelineStepStatus.Succeeded, run.Status);
        var pid = int.Parse(File.ReadAllText(Path.Combine(_workspace, "bg.pid")).Trim());
        Assert.False(Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z "), "the background sleep outlived its command");
        Assert.Contains("cicd stopped the processes the command left running", Log(run.Steps[0]));
    }

    [RootFact]
    public async Task Cancelling_stops_the_step_and_the_rest_is_not_run()
    {
        using var cts = new CancellationTokenSource();
        var task = Run("""{"steps": [{"name": "waits", "run": "touch started; sleep 300"}, {"name": "later", "run": "true"}]}""", ct: cts.Token);
        var started = Path.Combine(_workspace, "started");
        for (var i = 0; i < 600 && !File.Exists(started); i++) await Task.Delay(50);
        cts.Cancel();
        var run = await task;
        Assert.Equal(PipelineStepStatus.Cancelled, run.Status);
        Assert.Equal(new[] { PipelineStepStatus.Cancelled, PipelineStepStatus.NotRun }, run.Steps.Select(s => s.Status));
    }

    [RootFact]
    public async Task Secrets_are_exported_and_masked_in_step_logs()
    {
        const string secret = "sk-live-93bd71c0e4";
        var run = await Run("""
            {"steps": [{"name": "leaks", "run": ["echo key=$API_KEY", "echo $API_KEY >&2", "echo {{env.API_KEY}}", "test \"$API_KEY\" = sk-live-93bd71c0e4"]}]}
            """, secrets: new() { ["API_KEY"] = secret });
        Assert.Equal(PipelineStepStatus.Succeeded, run.Status);
        var log = Log(run.Steps[0]);
        Assert.DoesNotContain(secret, log);
        Assert.Contains("out  key=***", log);
        Assert.Contains("err  ***", log);
    }

    [RootFact]
    public async Task A_hostile_commit_message_in_a_template_runs_nothing_and_arrives_as_text()
    {
        var pwned = Path.Combine(_workspace, "pwned");
        foreach (var message in new[] { $"\"; touch {pwned}; \"", $"$(touch {pwned})", $"`touch {pwned}`", $"x\ntouch {pwned}" })
        {
            var run = await Run("""
                {"steps": [{"name": "echo", "run": ["echo \"Deploying: {{context.message}}\"", "printf '%s' {{context.message}} > message.txt"]}]}
                """, new PipelineContext { Message = message });
            Assert.Equal(PipelineStepStatus.Succeeded, run.Status);
            Assert.False(File.Exists(pwned), message);
            Assert.Equal(message, File.ReadAllText(Path.Combine(_workspace, "message.txt")));
        }
    }

    [RootFact]
    public async Task An_unknown_template_variable_fails_the_step_before_anything_runs()
    {
        var run = await Run("""{"steps": [{"name": "t", "run": ["touch first", "echo {{env.NOT_SET}}"]}, {"name": "later", "run": "true"}]}""");
        Assert.Equal(PipelineStepStatus.Failed, run.Steps[0].Status);
        Assert.Equal("run[1]: unknown variable 'env.NOT_SET'", run.Steps[0].Reason);
        Assert.Equal(PipelineStepStatus.NotRun, run.Steps[1].Status);
    }
}
