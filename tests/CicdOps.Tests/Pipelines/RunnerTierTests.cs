using System.Runtime.Versioning;
using CicdOps.Engine;
using CicdOps.Engine.Pipelines;
using CicdOps.Engine.Processes;
using CicdOps.Tests.Sandbox;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Pipelines;

/// <summary>
/// Runner tiers enforced by the kernel: a run's commands join a cgroup of their own with the tier's memory, CPU and
/// pids limits (small custom tiers keep these tests light), and nothing of the run survives it.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class RunnerTierTests : IClassFixture<RunnerAccount>, IDisposable
{
    private static readonly RunnerTier Small = new(64L << 20, TimeSpan.FromSeconds(60), Cpus: 0.5, Pids: 32);

    private readonly RunnerAccount _fixture;
    private readonly string _workspace;
    private readonly string _logs;
    private readonly IAppTracker _tracker;

    public RunnerTierTests(RunnerAccount fixture)
    {
        _fixture = fixture;
        var id = Guid.NewGuid().ToString("N")[..8];
        _workspace = fixture.Scratch.ProjectDir("ws-" + id);
        fixture.Scratch.Sandbox.PrepareProjectPath(_workspace, fixture.Account);
        _logs = Path.Combine(fixture.Scratch.Root, "logs-" + id);
        _tracker = AppTrackerFactory.Create(ProcessTracking.Auto, Path.Combine(fixture.Scratch.Root, "data-" + id));
    }

    public void Dispose() => _tracker.RemoveAll();

    private Task<PipelineRunResult> Run(string json, RunnerTier tier, string unit)
    {
        var read = PipelineReader.Read(json);
        Assert.True(read.IsValid, string.Join("\n", read.Problems));
        var secrets = new Dictionary<string, string>();
        var request = new PipelineRunRequest(read.Definition!, new PipelineContext { Event = "push", Branch = "main" }, _workspace, _logs,
            vars => _fixture.Scratch.Sandbox.PlanLaunch(_fixture.Account, vars, secrets), secrets)
        { Tier = tier, TierName = "small", Tracker = _tracker, Unit = unit };
        return PipelineRunner.RunAsync(request, CancellationToken.None);
    }

    private static string Log(PipelineStepResult step) => File.ReadAllText(step.LogPath!);

    /// <summary>Live processes of the account: none may outlive a run.</summary>
    private List<int> AccountProcesses() =>
        ProcFs.AllPids().Where(p => ProcFs.Uid(p) == _fixture.Account.Uid && !ProcFs.IsZombie(p)).ToList();

    private int ReadPid(string file) => int.Parse(File.ReadAllText(Path.Combine(_workspace, file)).Trim());

    private static bool Alive(int pid) => ProcFs.IsAlive(pid, null) && !ProcFs.IsZombie(pid);

    [RootFact]
    public async Task A_step_reads_the_tiers_memory_cpu_and_pids_limits_from_its_own_cgroup()
    {
        Assert.True(_tracker.LimitsUnavailable is null, _tracker.LimitsUnavailable);
        // The step looks itself up in /proc/self/cgroup and prints what the kernel holds for it (v1 files, or v2's).
        var run = await Run("""
            {"steps": [{"name": "limits", "run": [
              "m=$(grep -E '^[0-9]+:([^:]*,)?memory(,[^:]*)?:' /proc/self/cgroup | cut -d: -f3); if [ -n \"$m\" ]; then echo mem=$(cat /sys/fs/cgroup/memory$m/memory.limit_in_bytes); else echo mem=$(cat /sys/fs/cgroup$(cut -d: -f3 /proc/self/cgroup)/memory.max); fi",
              "c=$(grep -E '^[0-9]+:([^:]*,)?cpu(,[^:]*)?:' /proc/self/cgroup | cut -d: -f3); if [ -n \"$c\" ]; then echo cpu=$(cat /sys/fs/cgroup/cpu$c/cpu.cfs_quota_us); else echo cpu=$(cut -d' ' -f1 /sys/fs/cgroup$(cut -d: -f3 /proc/self/cgroup)/cpu.max); fi",
              "p=$(grep -E '^[0-9]+:([^:]*,)?pids(,[^:]*)?:' /proc/self/cgroup | cut -d: -f3); if [ -n \"$p\" ]; then echo pids=$(cat /sys/fs/cgroup/pids$p/pids.max); else echo pids=$(cat /sys/fs/cgroup$(cut -d: -f3 /proc/self/cgroup)/pids.max); fi"
            ]}]}
            """, Small, "pipeline-limits-" + Guid.NewGuid().ToString("N")[..6]);
        Assert.Equal(PipelineStepStatus.Succeeded, run.Status);
        var log = Log(run.Steps[0]);
        Assert.Contains("out  mem=67108864", log);
        Assert.Contains("out  cpu=50000", log);
        Assert.Contains("out  pids=32", log);
        Assert.Contains("cicd tier small: memory 64 MB, 0.5 CPU, 32 processes, 60 s (enforced by cgroup", log);
    }

    [RootFact]
    public async Task A_process_over_the_memory_limit_is_killed_by_the_kernel_and_reported_as_the_limit_exceeded()
    {
        var unit = "pipeline-oom-" + Guid.NewGuid().ToString("N")[..6];
        // tail keeps a line in memory until it ends, and /dev/zero has no newline: 300 MB wanted under a 64 MB limit.
        var run = await Run("""
            {"steps": [
              {"name": "hungry", "run": "head -c 300M /dev/zero | tail > /dev/null"},
              {"name": "later", "run": "true"}
            ]}
            """, Small, unit);
        Assert.Equal(PipelineStepStatus.Failed, run.Status);
        Assert.Equal(PipelineStepStatus.Failed, run.Steps[0].Status);
        Assert.Equal("memory limit (64 MB) exceeded", run.Steps[0].Reason);
        Assert.Equal(PipelineStepStatus.NotRun, run.Steps[1].Status);
        Assert.Contains("cicd memory limit (64 MB) exceeded: the kernel's OOM killer stopped the command", Log(run.Steps[0]));
        Assert.Empty(AccountProcesses());
        Assert.False(Directory.Exists(((CgroupTracker)_tracker).UnitPath(unit)), "the run's cgroup outlived it");
    }

    [RootFact]
    public async Task A_process_allocating_3_GB_under_the_standard_tier_is_stopped_at_2_GB()
    {
        var unit = "pipeline-3gb-" + Guid.NewGuid().ToString("N")[..6];
        // The case with the real default tier: 3 GB wanted, 2 GB allowed (no swap to spill into).
        var run = await Run("""{"steps": [{"name": "hungry", "run": "head -c 3G /dev/zero | tail > /dev/null"}]}""",
            RunnerTiers.Defaults[RunnerTiers.Default], unit);
        Assert.Equal(PipelineStepStatus.Failed, run.Status);
        Assert.Equal("memory limit (2 GB) exceeded", run.Steps[0].Reason);
        Assert.Empty(AccountProcesses());
    }

    [RootFact]
    public async Task A_fork_bomb_is_contained_by_the_pids_limit_and_nothing_of_it_survives()
    {
        // The step then waits without forking (a read from a pipe opened beforehand) until its timeout.
        var run = await Run("""
            {"steps": [{"name": "bomb", "timeout": 4, "run": "exec 3< <(sleep 600); bomb() { bomb | bomb & }; bomb; read -t 60 -u 3"}]}
            """, Small, "pipeline-bomb-" + Guid.NewGuid().ToString("N")[..6]);
        Assert.Equal(PipelineStepStatus.TimedOut, run.Status);
        Assert.Equal("timed out after 4 s", run.Steps[0].Reason);
        // The kernel refused its forks (bash says so on stderr) rather than the machine running out of processes.
        Assert.Contains("Resource temporarily unavailable", Log(run.Steps[0]));
        Assert.Empty(AccountProcesses());
    }

    [RootFact]
    public async Task The_tiers_time_limit_stops_every_process_of_the_run_even_one_that_left_its_process_group()
    {
        var tier = Small with { Timeout = TimeSpan.FromSeconds(3) };
        var run = await Run("""
            {"steps": [
              {"name": "escapes", "run": "setsid sleep 300 >/dev/null 2>&1 </dev/null & echo $! > daemon.pid; sleep 300 & echo $! > child.pid; wait"},
              {"name": "later", "run": "true"}
            ]}
            """, tier, "pipeline-time-" + Guid.NewGuid().ToString("N")[..6]);
        Assert.Equal(PipelineStepStatus.TimedOut, run.Status);
        Assert.Equal("timed out after 3 s", run.Steps[0].Reason);
        Assert.Equal(PipelineStepStatus.NotRun, run.Steps[1].Status);
        Assert.False(Alive(ReadPid("daemon.pid")), "the setsid'd daemon survived the run");
        Assert.False(Alive(ReadPid("child.pid")), "the background child survived the run");
        Assert.Empty(AccountProcesses());
    }
}

/// <summary>The engine runs a pipeline under the tier its file names, configured by <see cref="EngineOptions.RunnerTiers"/>.</summary>
public sealed class RunnerTierEngineTests : IDisposable
{
    private readonly EngineHarness _h = new(new EngineOptions
    {
        RunnerTiers = new Dictionary<string, RunnerTier> { ["tiny"] = new(48L << 20, TimeSpan.FromSeconds(60), 0.5, 64) },
    });
    private readonly TestRepository _repo = new();

    public void Dispose()
    {
        _h.Dispose();
        _repo.Dispose();
    }

    [RootFact]
    public async Task A_configured_tier_limits_the_run_and_an_unknown_tier_fails_it_naming_the_tiers()
    {
        _repo.Write(".cicd/pipeline.json", """{"tier": "tiny", "steps": [{"name": "hungry", "run": "head -c 200M /dev/zero | tail > /dev/null"}]}""");
        _repo.CommitAndPush("tiny");
        var project = _h.Register(_repo, "tier-" + Guid.NewGuid().ToString("N")[..6]);
        var run = await _h.Engine.RunPipelineAsync(project.Name);
        Assert.Equal(PipelineRunStatus.Failed, run.Status);
        Assert.Equal("step 'hungry': memory limit (48 MB) exceeded", run.Reason);

        _repo.Write(".cicd/pipeline.json", """{"tier": "huge", "steps": [{"name": "a", "run": "true"}]}""");
        _repo.CommitAndPush("huge");
        var unknown = await _h.Engine.RunPipelineAsync(project.Name);
        Assert.Equal(PipelineRunStatus.Failed, unknown.Status);
        Assert.Equal("tier 'huge' is not configured on this server (it has large, medium, standard, tiny)", unknown.Reason);
        Assert.Empty(unknown.Steps);
    }
}
