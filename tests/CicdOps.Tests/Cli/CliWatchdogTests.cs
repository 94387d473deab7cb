using System.Diagnostics;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Cli;

/// <summary>The watchdog and sampler run inside `cicdops listen`; `events`, `stats` and `--health-interval` from the CLI.</summary>
[Collection("cli")]
public sealed class CliWatchdogTests
{
    [Fact]
    public void The_listener_restarts_a_killed_app_and_cicdops_events_and_stats_show_it()
    {
        using var repo = new TestRepository();
        using var cli = new CliHarness();
        var pidFile = Path.Combine(cli.StateDir, "app.pid");
        repo.WriteSleeper("v1", cli.StateDir)
            .Write(".cicd/run.sh", $"#!/bin/bash\necho $$ > '{pidFile}'\ncat VERSION > '{cli.StateDir}/serving'\nexec sleep 300\n")
            .CommitAndPush("v1");
        cli.Add(repo);
        cli.Run("deploy", "app").ShouldExit(0);
        var port = FreePort.Next();
        var secretFile = Path.Combine(cli.Root, "webhook.secret");
        File.WriteAllText(secretFile, "It's a Secret to Everybody\n");
        using var listener = cli.Start("listen", "--port", port.ToString(), "--bind", "127.0.0.1", "--webhook-secret-file", secretFile, "--sample-interval", "1");
        try
        {
            WaitUntil(() => CicdOps.Tests.Engine.AppProcessTests.CanConnect(port), "the listener", listener);
            var first = File.ReadAllText(pidFile).Trim();
            Run.Command("kill", null, "-KILL", first);

            WaitUntil(() => cli.Deployments("app").Any(d => d.Trigger == DeploymentTrigger.Watchdog && d.Status == DeploymentStatus.Succeeded),
                "a watchdog restart", listener);
            Assert.NotEqual(first, File.ReadAllText(pidFile).Trim());
            var events = cli.Run("events", "app", "--json").ShouldExit(0).Json<List<CicdEvent>>();
            Assert.Equal(CicdEventKind.Unhealthy, events[0].Kind);
            WaitUntil(() => cli.Run("events", "app", "--json").ShouldExit(0).Json<List<CicdEvent>>().Any(e => e.Kind == CicdEventKind.Recovered),
                "the recovered event", listener);
            var after = cli.Run("events", "--after", events[0].Id.ToString(), "--json").ShouldExit(0).Json<List<CicdEvent>>();
            Assert.DoesNotContain(after, e => e.Id <= events[0].Id);
            Assert.Contains("Unhealthy", cli.Run("events").ShouldExit(0).StdOut);

            var stats = cli.Run("stats", "--json").ShouldExit(0).Json<TelemetrySnapshot>();
            var app = Assert.Single(stats.Apps);
            Assert.Equal(1, app.Restarts);
            Assert.True(app.Processes >= 1 && app.MemoryBytes > 0);
            Assert.Contains("RESTARTS", cli.Run("stats").ShouldExit(0).StdOut);
        }
        finally
        {
            Run.Command("kill", null, "-TERM", listener.Id.ToString());
            listener.WaitForExit(60_000);
        }
        Assert.Contains("monitor: sampling every 1 s", listener.StandardOutput.ReadToEnd());
    }

    [Fact]
    public void With_no_watchdog_the_listener_samples_a_killed_app_as_dead_but_never_restarts_it()
    {
        using var repo = new TestRepository();
        using var cli = new CliHarness();
        var pidFile = Path.Combine(cli.StateDir, "app.pid");
        repo.WriteSleeper("v1", cli.StateDir)
            .Write(".cicd/run.sh", $"#!/bin/bash\necho $$ > '{pidFile}'\ncat VERSION > '{cli.StateDir}/serving'\nexec sleep 300\n")
            .CommitAndPush("v1");
        cli.Add(repo);
        cli.Run("deploy", "app").ShouldExit(0);
        var port = FreePort.Next();
        using var listener = cli.Start("listen", "--port", port.ToString(), "--bind", "127.0.0.1", "--allow-unsigned", "--sample-interval", "1", "--no-watchdog");
        try
        {
            WaitUntil(() => CicdOps.Tests.Engine.AppProcessTests.CanConnect(port), "the listener", listener);
            var first = File.ReadAllText(pidFile).Trim();
            Run.Command("kill", null, "-KILL", first);

            // The sampler still runs and sees the app dead ...
            WaitUntil(() => cli.Run("stats", "--json").ShouldExit(0).Json<TelemetrySnapshot>().Apps.SingleOrDefault()?.Health == AppHealth.Unhealthy,
                "the sampler to see the app dead", listener);
            // ... and five more samples later nothing has restarted it (with the watchdog on, the first restart waits 1 s).
            var seen = cli.Run("stats", "--json").ShouldExit(0).Json<TelemetrySnapshot>().SampledAt;
            WaitUntil(() => cli.Run("stats", "--json").ShouldExit(0).Json<TelemetrySnapshot>().SampledAt >= seen.AddSeconds(5),
                "five more samples", listener);
            Assert.DoesNotContain(cli.Deployments("app"), d => d.Trigger == DeploymentTrigger.Watchdog);
            Assert.Empty(cli.Run("events", "app", "--json").ShouldExit(0).Json<List<CicdEvent>>());
            Assert.Equal(first, File.ReadAllText(pidFile).Trim());
        }
        finally
        {
            Run.Command("kill", null, "-TERM", listener.Id.ToString());
            listener.WaitForExit(60_000);
        }
        Assert.Contains("monitor: sampling every 1 s; watchdog off", listener.StandardOutput.ReadToEnd());
    }

    [Fact]
    public void Health_interval_is_set_with_the_CLI_and_a_bad_value_is_one_line_naming_the_flag_and_changes_nothing()
    {
        using var repo = new TestRepository();
        using var cli = new CliHarness();
        repo.WriteSleeper("v1", cli.StateDir).CommitAndPush("v1");
        Assert.Equal(TimeSpan.FromSeconds(45), cli.Add(repo, "app", "--health-interval", "45").HealthInterval);
        cli.Run("project", "set", "app", "--health-interval", "10").ShouldExit(0);
        Assert.Equal(TimeSpan.FromSeconds(10), cli.Run("project", "show", "app", "--json").ShouldExit(0).Json<Project>().HealthInterval);
        var bad = cli.Run("project", "set", "app", "--health-interval", "0");
        Assert.NotEqual(0, bad.Code);
        Assert.Single(bad.ErrLines, l => l.Contains("health interval"));
        Assert.Equal(TimeSpan.FromSeconds(10), cli.Run("project", "show", "app", "--json").ShouldExit(0).Json<Project>().HealthInterval);
        Assert.Contains("Health interval", cli.Run("project", "show", "app").ShouldExit(0).StdOut);
        var badListen = cli.Run("listen", "--allow-unsigned", "--bind", "127.0.0.1", "--port", FreePort.Next().ToString(), "--sample-interval", "0");
        Assert.NotEqual(0, badListen.Code);
        Assert.Contains("--sample-interval", Assert.Single(badListen.ErrLines));
    }

    private static void WaitUntil(Func<bool> condition, string what, Process listener, int seconds = 90)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (listener.HasExited) Assert.Fail($"listen exited while waiting for {what}: " + listener.StandardError.ReadToEnd());
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out waiting for {what}");
            Thread.Sleep(200);
        }
    }
}
