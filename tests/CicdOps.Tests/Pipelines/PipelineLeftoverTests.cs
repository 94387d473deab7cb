using CicdOps.Engine;
using CicdOps.Engine.Processes;
using CicdOps.Tests.Cli;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Pipelines;

/// <summary>
/// What runs leave behind: a failed run's workspace kept for debugging and removed once its time is over, and a run
/// whose runner process was killed (kill -9 of `cicdops pipeline run`) marked Failed with its leftover processes
/// stopped when the next run starts.
/// </summary>
[Collection("cli")]
public sealed class PipelineLeftoverTests : IDisposable
{
    private readonly CliHarness _cli = new();
    private readonly TestRepository _repo = new();

    public void Dispose()
    {
        _cli.Dispose();
        _repo.Dispose();
    }

    private static string Workspace(string log) => log.Split('\n').First(l => l.Contains(" out  /")).Split(" out  ", 2)[1];

    /// <summary>A log the running step still writes: File.ReadAllText would wait for the writer to close it.</summary>
    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(stream).ReadToEnd();
    }

    private static bool Alive(int pid) => ProcFs.IsAlive(pid, null) && !ProcFs.IsZombie(pid);

    [Fact]
    public async Task A_run_whose_runner_died_is_marked_failed_its_processes_stopped_and_failed_workspaces_kept_until_their_time()
    {
        _repo.Write(".cicd/pipeline.json", """
            {"events": ["push"], "steps": [
              {"name": "long", "condition": "context.event == 'manual'", "run": ["pwd", "sleep 300 & echo sleeper=$!; wait"]},
              {"name": "fails", "condition": "context.event == 'push'", "run": ["pwd", "exit 5"]}
            ]}
            """);
        _repo.CommitAndPush("leftovers");
        var name = "left-" + Guid.NewGuid().ToString("N")[..6];
        _cli.Add(_repo, name);

        using var engine = CicdEngine.Open(new EngineOptions { DataPath = _cli.DataPath });
        using var runner = _cli.Start("pipeline", "run", name);
        string? log = null;
        var until = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < until)
        {
            var running = engine.GetPipelineRuns(name).FirstOrDefault();
            var path = running is null ? null : Path.Combine(running.LogDirectory, "step-0.log");
            var exists = path is not null && File.Exists(path);
            var text = exists ? ReadShared(path!) : "";
            if (text.Contains("out  sleeper=")) { log = text; break; }
            Thread.Sleep(100);
        }
        if (log is null) Assert.Fail("the run never reached its long step");
        var sleeper = int.Parse(log!.Split("out  sleeper=")[1].Split('\n')[0].Trim());
        var deadWorkspace = Workspace(log);
        runner.Kill(); // SIGKILL to the CLI alone: its step runs on, as after a crash
        // Bounded: an unbounded WaitForExit also waits for the end of its output, which the orphaned step may hold.
        Assert.True(runner.WaitForExit(30_000), "the killed CLI did not exit");
        Assert.True(Alive(sleeper), "the dead runner's step should still be running before recovery");
        var dead = engine.GetPipelineRuns(name).Single();
        var next = await engine.RunPipelineAsync(name, eventName: "push");

        Assert.Equal(PipelineRunStatus.Failed, next.Status);
        var recovered = engine.GetPipelineRun(dead.RunId);
        Assert.Equal(PipelineRunStatus.Failed, recovered.Status);
        Assert.StartsWith("runner died: the process running it (pid ", recovered.Reason);
        Assert.False(Alive(sleeper), "the dead run's process outlived the recovery");

        // Both failed runs' workspaces are kept for debugging (default: an hour), then removed.
        var nextWorkspace = Workspace(File.ReadAllText(next.Steps[1].LogPath!));
        Assert.True(Directory.Exists(deadWorkspace), "the dead run's workspace was removed before its time");
        Assert.True(Directory.Exists(nextWorkspace), "the failed run's workspace was removed before its time");
        engine.PipelineHousekeepingAt(DateTimeOffset.UtcNow.AddMinutes(30));
        Assert.True(Directory.Exists(nextWorkspace), "the failed run's workspace was removed before its time");
        engine.PipelineHousekeepingAt(DateTimeOffset.UtcNow.AddHours(2));
        Assert.False(Directory.Exists(deadWorkspace), "the dead run's workspace outlived its keeping time");
        Assert.False(Directory.Exists(nextWorkspace), "the failed run's workspace outlived its keeping time");
    }
}
