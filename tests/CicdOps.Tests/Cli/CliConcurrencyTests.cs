using CicdOps.Cli;
using CicdOps.Engine.Model;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Cli;

[Collection("cli")]
public sealed class CliConcurrencyTests
{
    [Fact]
    public async Task Two_cli_processes_deploying_one_project_at_once_stay_serialised()
    {
        using var repo = new TestRepository();
        using var cli = new CliHarness();
        repo.WriteSleeper("v1", cli.StateDir).WriteSlowInstall(1, cli.StateDir).CommitAndPush("v1");
        cli.Add(repo);

        var both = await Task.WhenAll(cli.RunAsync("deploy", "app", "--force-install"), cli.RunAsync("deploy", "app", "--force-install"));

        foreach (var r in both) r.ShouldExit(0);
        var all = cli.Deployments("app");
        Assert.InRange(all.Count, 1, 2);
        Assert.All(all, d => Assert.True(d.Status is DeploymentStatus.Succeeded or DeploymentStatus.Superseded, $"deployment {d.Id}: {d.Status} {d.Reason}"));
        var ran = all.Where(d => d.StartedAt is not null).OrderBy(d => d.StartedAt).ToList();
        Assert.NotEmpty(ran);
        Assert.All(ran, d => Assert.NotNull(d.FinishedAt));
        for (var i = 1; i < ran.Count; i++)
            Assert.True(ran[i].StartedAt >= ran[i - 1].FinishedAt,
                $"deployments {ran[i - 1].Id} ({ran[i - 1].StartedAt:O}..{ran[i - 1].FinishedAt:O}) and {ran[i].Id} ({ran[i].StartedAt:O}..) overlapped");
        Assert.All(all.Where(d => d.Status == DeploymentStatus.Superseded), d => Assert.Null(d.StartedAt));
    }

    [Fact]
    public void A_worker_killed_mid_deployment_is_detected_and_the_deployment_becomes_interrupted()
    {
        using var repo = new TestRepository();
        using var cli = new CliHarness();
        repo.WriteSleeper("v1", cli.StateDir).WriteSlowInstall(120, cli.StateDir).CommitAndPush("v1");
        cli.Add(repo);
        var queued = cli.Run("deploy", "app", "--no-wait", "--json").ShouldExit(0).Json<Deployment>();
        CliDeployTests.WaitUntil(() => File.Exists(Path.Combine(cli.StateDir, "install.pid")), "install started");
        var installPid = int.Parse(File.ReadAllText(Path.Combine(cli.StateDir, "install.pid")).Trim());
        var workers = WorkerPids(cli.DataPath); // the one running it (a second one may be giving up on the lease)
        Assert.NotEmpty(workers);

        foreach (var w in workers) Signals.Signal(w, Signals.Sigkill);
        CliDeployTests.WaitUntil(() => workers.All(w => !Signals.IsAlive(w)), "workers gone");

        var d = Assert.Single(cli.Deployments("app"));
        Assert.Equal(queued.Id, d.Id);
        Assert.Equal(DeploymentStatus.Interrupted, d.Status);
        Assert.Contains(workers, w => d.Reason!.Contains($"pid {w}"));
        CliDeployTests.WaitUntil(() => !Signals.IsAlive(installPid), "the orphaned install.sh stopped");
        Assert.Equal(ProjectStatus.Failed, cli.Run("project", "show", "app", "--json").ShouldExit(0).Json<Project>().Status);
        var table = cli.Run("deployments", "app").ShouldExit(0).StdOut;
        Assert.Contains("Interrupted", table);
    }

    /// <summary>`cicdops ... --data-dir DATA worker NAME` processes, found by their command line.</summary>
    private static List<int> WorkerPids(string dataPath)
    {
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            string[] argv;
            try { argv = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0'); }
            catch (IOException) { continue; }
            catch (UnauthorizedAccessException) { continue; }
            var i = Array.IndexOf(argv, "--data-dir");
            if (i >= 0 && i + 2 < argv.Length && argv[i + 1] == dataPath && argv[i + 2] == "worker" && Signals.IsAlive(pid)) pids.Add(pid);
        }
        return pids;
    }
}
