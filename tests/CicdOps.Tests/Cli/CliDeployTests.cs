using System.Diagnostics;
using CicdOps.Cli;
using CicdOps.Engine.Model;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Cli;

[Collection("cli")]
public sealed class CliDeployTests
{
    [Fact]
    public void Deploy_waits_prints_each_stage_and_exits_0_and_deployments_and_logs_show_it()
    {
        using var repo = new TestRepository();
        using var cli = new CliHarness();
        var sha = repo.WriteSleeper("v1", cli.StateDir).CommitAndPush("v1");
        cli.Add(repo);

        var r = cli.Run("deploy", "app").ShouldExit(0);

        var lines = r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var stages = lines.Select(l => System.Text.RegularExpressions.Regex.Match(l, @"^\d\d:\d\d:\d\d app: deployment 1 (\w+)$"))
            .Where(m => m.Success).Select(m => m.Groups[1].Value).Where(w => w is not ("queued" or "starting"));
        Assert.Equal(new[] { "sync", "install", "stop", "run", "health" }, stages);
        Assert.StartsWith($"app: deployment 1 Succeeded (commit {sha[..12]})", lines[^1]);
        Assert.Equal("v1", cli.Serving);
        var d = Assert.Single(cli.Deployments("app"));
        Assert.Equal(DeploymentStatus.Succeeded, d.Status);
        Assert.Equal(sha, d.Commit);
        Assert.NotNull(d.StartedAt);
        Assert.NotNull(d.FinishedAt);
        var p = cli.Run("project", "show", "app", "--json").ShouldExit(0).Json<Project>();
        Assert.Equal(ProjectStatus.Healthy, p.Status);
        Assert.Equal(sha, p.CurrentCommit);

        var log = cli.Run("logs", "app").ShouldExit(0).StdOut;
        Assert.Contains($"[sync] at {sha}", log);
        Assert.Contains("[deploy] Succeeded", log);
        Assert.Equal(log, cli.Run("logs", "app", "--deployment", d.Id.ToString()).ShouldExit(0).StdOut);

        var table = cli.Run("deployments").ShouldExit(0).StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("ID", table[0]);
        Assert.Contains("Succeeded", table[1]);
    }

    [Fact]
    public void Deploy_json_prints_only_the_final_deployment()
    {
        using var repo = new TestRepository();
        using var cli = new CliHarness();
        repo.WriteSleeper("v1", cli.StateDir).CommitAndPush("v1");
        cli.Add(repo);

        var d = cli.Run("deploy", "app", "--json").ShouldExit(0).Json<Deployment>();

        Assert.Equal(DeploymentStatus.Succeeded, d.Status);
        Assert.Equal("app", d.Project);
    }

    [Fact]
    public void An_unhealthy_deploy_rolls_back_and_exits_4()
    {
        using var repo = new TestRepository();
        using var cli = new CliHarness();
        var good = repo.WriteSleeper("v1", cli.StateDir).CommitAndPush("v1");
        cli.Add(repo, "app", "--health-timeout", "2");
        cli.Run("deploy", "app").ShouldExit(0);
        repo.WriteSleeper("v2", cli.StateDir, healthy: false).CommitAndPush("v2 (broken)");

        var r = cli.Run("deploy", "app").ShouldExit(ExitCodes.RolledBack);

        Assert.Contains("RolledBack", r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);
        Assert.Contains("cicdops logs app --deployment 2", r.StdOut);
        var latest = cli.Deployments("app")[0];
        Assert.Equal(DeploymentStatus.RolledBack, latest.Status);
        Assert.Equal(good, latest.RolledBackTo);
        Assert.Equal(good, cli.Run("project", "show", "app", "--json").Json<Project>().CurrentCommit);
    }

    [Fact]
    public void Deploy_no_wait_returns_at_once_and_the_detached_worker_finishes_after_the_cli_exited()
    {
        using var repo = new TestRepository();
        using var cli = new CliHarness();
        repo.WriteSleeper("v1", cli.StateDir).WriteSlowInstall(3, cli.StateDir).CommitAndPush("v1");
        cli.Add(repo);

        var r = cli.Run("deploy", "app", "--no-wait", "--json").ShouldExit(0);

        var queued = r.Json<Deployment>();
        Assert.False(queued.IsFinished);
        Assert.NotEqual(DeploymentStatus.Succeeded, cli.Deployments("app")[0].Status); // install still sleeping
        var done = cli.WaitFor("app", queued.Id, d => d.IsFinished);
        Assert.Equal(DeploymentStatus.Succeeded, done.Status);
        Assert.Equal("v1", cli.Serving);
    }

    [Fact]
    public void The_detached_worker_keeps_none_of_its_threads_in_a_deployment_unit_and_exits_once_its_queue_is_empty()
    {
        // Scripts start directly (ThreadLaunch): a runtime thread made on a launch thread once stayed in the deployment's
        // cgroup (with the drop's no_new_privs), and the worker lingered after its queue was empty.
        using var repo = new TestRepository();
        using var cli = new CliHarness();
        repo.WriteSleeper("v1", cli.StateDir).WriteSlowInstall(0, cli.StateDir).CommitAndPush("v1");
        cli.Add(repo);

        cli.Run("deploy", "app").ShouldExit(0);

        // A thread the runtime makes on a launch thread is in the unit until the launch moves it back, a moment later:
        // only a thread found there in two scans 50 ms apart stayed.
        var stayed = new HashSet<string>();
        var previous = new HashSet<string>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        List<int> workers;
        while ((workers = Workers(cli.DataPath)).Count > 0 && DateTime.UtcNow < deadline)
        {
            var now = workers.SelectMany(ThreadsInUnits).ToHashSet();
            stayed.UnionWith(now.Intersect(previous));
            previous = now;
            Thread.Sleep(50);
        }
        Assert.Empty(stayed);
        Assert.Empty(workers);
    }

    /// <summary>"tid name: cgroup line" for each thread of <paramref name="pid"/> (but a launch thread at work) in a CicdOps unit.</summary>
    private static IEnumerable<string> ThreadsInUnits(int pid)
    {
        var found = new List<string>();
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                var name = File.ReadAllText(Path.Combine(task, "comm")).Trim();
                if (name == "cicdops-launch") continue;
                found.AddRange(File.ReadAllLines(Path.Combine(task, "cgroup")).Where(l => l.Contains("/cicdops/")).Select(l => $"{Path.GetFileName(task)} {name}: {l}"));
            }
        }
        catch (IOException) { } // the worker ended meanwhile
        catch (UnauthorizedAccessException) { }
        return found;
    }

    /// <summary>Live `cicdops --data-dir DATA worker` processes.</summary>
    private static List<int> Workers(string dataPath)
    {
        var marker = $"--data-dir\0{dataPath}\0worker\0";
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).Contains(marker) && !File.ReadAllText(Path.Combine(dir, "stat")).Contains(") Z "))
                    found.Add(pid);
            }
            catch (IOException) { }
        }
        return found;
    }

    [Fact]
    public void Logs_follow_prints_lines_as_they_come_until_the_deployment_ends()
    {
        using var repo = new TestRepository();
        using var cli = new CliHarness();
        repo.WriteSleeper("v1", cli.StateDir).WriteSlowInstall(2, cli.StateDir).CommitAndPush("v1");
        cli.Add(repo);
        cli.Run("deploy", "app", "--no-wait").ShouldExit(0);

        var r = cli.Run("logs", "app", "--follow").ShouldExit(0);

        Assert.Contains("[install] install begins", r.StdOut);
        Assert.Contains("[install] install done", r.StdOut);
        Assert.Contains("[deploy] Succeeded", r.StdOut);
    }

    [Fact]
    public async Task Ctrl_c_on_deploy_stops_waiting_with_130_and_the_deployment_goes_on()
    {
        using var repo = new TestRepository();
        using var cli = new CliHarness();
        repo.WriteSleeper("v1", cli.StateDir).WriteSlowInstall(3, cli.StateDir).CommitAndPush("v1");
        cli.Add(repo);

        using var p = cli.Start("deploy", "app");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        WaitUntil(() => File.Exists(Path.Combine(cli.StateDir, "install.pid")), "install started");
        Signals.Signal(p.Id, Signals.Sigint);
        Assert.True(p.WaitForExit(10_000), "deploy did not stop waiting");

        Assert.Equal(ExitCodes.Interrupted, p.ExitCode);
        var line = Assert.Single((await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries), l => !l.StartsWith("warning: "));
        Assert.Contains("continues", line);
        Assert.Contains("cicdops logs app --follow", line);
        Assert.DoesNotContain("Succeeded", await stdout); // it stopped waiting before the end
        var d = cli.WaitFor("app", 1, d => d.IsFinished);
        Assert.Equal(DeploymentStatus.Succeeded, d.Status);
    }

    [Fact]
    public void Pin_holds_the_project_and_unpin_releases_it()
    {
        using var repo = new TestRepository();
        using var cli = new CliHarness();
        var v1 = repo.WriteSleeper("v1", cli.StateDir).CommitAndPush("v1");
        cli.Add(repo);
        cli.Run("deploy", "app").ShouldExit(0);
        var v2 = repo.WriteSleeper("v2", cli.StateDir).CommitAndPush("v2");
        cli.Run("deploy", "app").ShouldExit(0);
        Assert.Equal("v2", cli.Serving);

        var pinned = cli.Run("pin", "app", "--commit", v1[..10], "--json").ShouldExit(0).Json<PinResult>();

        Assert.StartsWith(pinned.Project.PinnedCommit!, v1);
        Assert.Equal(DeploymentStatus.Succeeded, pinned.Deployment!.Status);
        Assert.Equal("v1", cli.Serving);
        var skipped = cli.Run("deploy", "app", "--json").ShouldExit(ExitCodes.Skipped).Json<Deployment>();
        Assert.Equal(DeploymentStatus.Skipped, skipped.Status);
        Assert.Equal("v1", cli.Serving);

        var unpinned = cli.Run("unpin", "app", "--json").ShouldExit(0).Json<Project>();
        Assert.Null(unpinned.PinnedCommit);
        cli.Run("deploy", "app").ShouldExit(0);
        Assert.Equal("v2", cli.Serving);
        Assert.Equal(v2, cli.Run("project", "show", "app", "--json").Json<Project>().CurrentCommit);
    }

    [Fact]
    public void Rollback_deploys_the_previous_good_commit_and_exits_0()
    {
        using var repo = new TestRepository();
        using var cli = new CliHarness();
        var v1 = repo.WriteSleeper("v1", cli.StateDir).CommitAndPush("v1");
        cli.Add(repo);
        cli.Run("deploy", "app").ShouldExit(0);
        repo.WriteSleeper("v2", cli.StateDir).CommitAndPush("v2");
        cli.Run("deploy", "app").ShouldExit(0);

        var d = cli.Run("rollback", "app", "--json").ShouldExit(0).Json<Deployment>();

        Assert.Equal(DeploymentStatus.Succeeded, d.Status);
        Assert.Equal(DeploymentTrigger.Rollback, d.Trigger);
        Assert.Equal(v1, d.Commit);
        Assert.Equal("v1", cli.Serving);
        var never = repo.WriteSleeper("v3", cli.StateDir).CommitAndPush("v3");
        var refused = cli.Run("rollback", "app", "--commit", never).ShouldExit(1);
        Assert.Contains("never deployed successfully", Assert.Single(refused.ErrLines));
        cli.Run("rollback", "app", "--commit", never, "--force").ShouldExit(0);
        Assert.Equal("v3", cli.Serving);
    }

    [Fact]
    public void Cancel_stops_a_running_deployment_and_its_install_script()
    {
        using var repo = new TestRepository();
        using var cli = new CliHarness();
        repo.WriteSleeper("v1", cli.StateDir).WriteSlowInstall(120, cli.StateDir).CommitAndPush("v1");
        cli.Add(repo);
        var queued = cli.Run("deploy", "app", "--no-wait", "--json").ShouldExit(0).Json<Deployment>();
        WaitUntil(() => File.Exists(Path.Combine(cli.StateDir, "install.pid")), "install started");
        var installPid = int.Parse(File.ReadAllText(Path.Combine(cli.StateDir, "install.pid")).Trim());
        using (var follower = cli.Start("logs", "app", "--follow"))
        {
            _ = follower.StandardError.ReadToEndAsync();
            string? line;
            do line = follower.StandardOutput.ReadLine(); // it prints what is there at once, then waits
            while (line is not null && !line.Contains("[install] install begins"));
            Assert.NotNull(line);
            Signals.Signal(follower.Id, Signals.Sigint);
            Assert.True(follower.WaitForExit(10_000), "logs --follow did not stop on Ctrl+C");
            Assert.Equal(ExitCodes.Interrupted, follower.ExitCode);
        }

        var r = cli.Run("cancel", "app", "--json").ShouldExit(0);

        var cancelled = r.Json<Deployment>();
        Assert.Equal(queued.Id, cancelled.Id);
        Assert.Equal(DeploymentStatus.Cancelled, cancelled.Status);
        Assert.Equal(DeploymentStatus.Cancelled, cli.Deployments("app")[0].Status);
        WaitUntil(() => !Signals.IsAlive(installPid), "install.sh stopped");
    }

    [Fact]
    public void Project_add_with_deploy_registers_and_deploys_in_one_call()
    {
        using var repo = new TestRepository();
        using var cli = new CliHarness();
        var sha = repo.WriteSleeper("v1", cli.StateDir).CommitAndPush("v1");

        var r = cli.Run("project", "add", "app", "--repo", repo.Url, "--path", cli.TreePath("app"), "--deploy", "--json").ShouldExit(0);

        var both = System.Text.Json.JsonDocument.Parse(r.StdOut).RootElement;
        var project = CliHarness.Parse<Project>(both.GetProperty("project").GetRawText());
        var deployment = CliHarness.Parse<Deployment>(both.GetProperty("deployment").GetRawText());
        Assert.Equal(ProjectStatus.Healthy, project.Status);
        Assert.Equal(sha, project.CurrentCommit);
        Assert.Equal(DeploymentStatus.Succeeded, deployment.Status);
        Assert.Equal("v1", cli.Serving);
    }

    internal static void WaitUntil(Func<bool> condition, string what, int seconds = 60)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > TimeSpan.FromSeconds(seconds)) Assert.Fail($"timed out waiting for: {what}");
            Thread.Sleep(100);
        }
    }
}

internal static class Signals
{
    public const int Sigint = 2;
    public const int Sigkill = 9;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    public static void Signal(int pid, int signal)
    {
        if (Kill(pid, signal) != 0) throw new InvalidOperationException($"kill({pid}, {signal}) failed");
    }

    /// <summary>Alive and not a zombie.</summary>
    public static bool IsAlive(int pid)
    {
        try { return !File.ReadAllText($"/proc/{pid}/stat").Split(") ")[1].StartsWith('Z'); }
        catch (IOException) { return false; }
    }
}
