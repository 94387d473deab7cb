using System.Diagnostics;
using CicdOps.Engine;
using CicdOps.Engine.Model;
using CicdOps.Tests.Engine;
using CicdOps.Tests.Sandbox;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.OwnProcesses;

/// <summary>
/// A project's port: registration keeps it the project's alone (not another project's, not the listener's,
/// not below 1024 unless asked), and a deploy never stops a holder that is not the project's.
/// </summary>
public sealed class PortTests
{
    [RootFact]
    public void A_port_held_by_a_root_service_fails_the_deploy_naming_the_holder_and_the_holder_keeps_running()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var port = FreePort.Next();
        // Stands in for sshd: a root daemon listening on the port the project claims.
        using var service = Process.Start(new ProcessStartInfo("python3") { ArgumentList = { "-m", "http.server", port.ToString(), "--bind", "127.0.0.1" }, RedirectStandardError = true, RedirectStandardOutput = true })!;
        try
        {
            QueueTests.WaitFor(() => AppProcessTests.CanConnect(port));
            var installed = Path.Combine(h.StateDir, "installed");
            repo.WriteWebApp("v1").Write(".cicd/install.sh", $"#!/bin/bash\ntouch \"{installed}\"\n").CommitAndPush();
            h.Register(repo, port: port);

            var d = h.Deploy("app");

            DeploymentAssert.Status(h, DeploymentStatus.Failed, d);
            Assert.Contains($"port {port} is held by pid {service.Id} (user root, command: ", d.Reason);
            Assert.Contains("http.server", d.Reason);
            Assert.False(service.HasExited, "a process that is not the project's must never be stopped");
            Assert.False(File.Exists(installed), "nothing runs before the port is known to be usable");
            Assert.Equal(StageOutcome.Failed, d.Stages.Single(s => s.Stage == DeploymentStage.Stop).Outcome);
            Assert.Equal(ProjectStatus.Registered, h.Engine.GetProject("app").Status);
        }
        finally { service.Kill(); }
    }

    [RootFact]
    public void A_port_taken_by_a_root_service_after_the_project_deployed_fails_the_next_deploy_and_the_old_app_keeps_serving()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var port = FreePort.Next();
        repo.WriteWebApp("v1").CommitAndPush();
        h.Register(repo, port: port);
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
        var app = FirstDeployTests.AppPid(h);
        // A second listener on the same port, on another loopback address, that is not the project's.
        using var other = Process.Start(new ProcessStartInfo("python3")
        {
            ArgumentList = { "-c", $"import socket,time\ns=socket.socket()\ns.bind(('127.0.0.2', {port}))\ns.listen()\nprint('ready', flush=True)\ntime.sleep(300)" },
            RedirectStandardOutput = true,
        })!;
        try
        {
            Assert.Equal("ready", other.StandardOutput.ReadLine());
            var d = h.Deploy("app");

            DeploymentAssert.Status(h, DeploymentStatus.Failed, d);
            Assert.Contains($"pid {other.Id} (user root", d.Reason);
            Assert.False(other.HasExited);
            Assert.True(Processes.IsRunning(app), "nothing was stopped: the old app still serves");
            Assert.Equal(ProjectStatus.Healthy, h.Engine.GetProject("app").Status);
        }
        finally { other.Kill(); }
    }

    [RootFact]
    public void Without_health_sh_another_processes_listener_on_the_port_does_not_make_the_app_healthy()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var port = FreePort.Next();
        var started = Path.Combine(h.StateDir, "started");
        var ready = Path.Combine(h.StateDir, "ready");
        // The app never listens; it waits until something else does, then stays alive.
        repo.Write(".cicd/run.sh", $"#!/bin/bash\ntouch \"{started}\"\nwhile [ ! -e \"{ready}\" ]; do sleep 0.05; done\nexec sleep 300\n").CommitAndPush();
        h.Register(repo, port: port, healthTimeout: TimeSpan.FromSeconds(3));
        var d = h.Engine.RequestDeployment(new DeploymentRequest { Project = "app" });
        QueueTests.WaitFor(() => File.Exists(started));
        using var other = Process.Start(new ProcessStartInfo("python3") { ArgumentList = { "-m", "http.server", port.ToString(), "--bind", "127.0.0.1" }, RedirectStandardError = true, RedirectStandardOutput = true })!;
        try
        {
            QueueTests.WaitFor(() => AppProcessTests.CanConnect(port));
            File.WriteAllText(ready, "");

            var done = h.Wait(d);

            DeploymentAssert.Status(h, DeploymentStatus.Failed, done);
            Assert.Contains($"port {port} is held by pid {other.Id} (user root", done.Reason);
            Assert.False(other.HasExited);
        }
        finally { other.Kill(); }
    }

    [Fact]
    public void A_port_below_1024_is_refused_at_registration_unless_allowed_explicitly()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush();

        var e = Assert.Throws<CicdException>(() => h.Register(repo, port: 22));
        Assert.Equal(CicdError.InvalidPort, e.Error);
        Assert.Contains("--allow-privileged-port", e.RecommendedAction);
        Assert.Empty(h.Engine.GetProjects());

        var p = h.Engine.RegisterProject(new ProjectSpec
        {
            Name = "app", Repository = repo.Url, Path = Path.Combine(h.Root, "trees", "app"), Port = 22, AllowPrivilegedPort = true,
        });
        Assert.Equal(22, p.Port);
    }

    [Fact]
    public void The_listeners_port_is_refused_at_registration_even_when_privileged_ports_are_allowed()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush();

        var e = Assert.Throws<CicdException>(() => h.Engine.RegisterProject(new ProjectSpec
        {
            Name = "app", Repository = repo.Url, Path = Path.Combine(h.Root, "trees", "app"), Port = 9641, AllowPrivilegedPort = true,
        }));

        Assert.Equal(CicdError.InvalidPort, e.Error);
        Assert.Contains("listener", e.Message);
        Assert.Empty(h.Engine.GetProjects());
    }

    [Fact]
    public async Task A_listener_on_another_port_makes_that_port_refused_for_apps_while_it_runs()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        var listenerPort = FreePort.Next();
        var options = new CicdOps.Engine.Listener.ListenerOptions { Port = listenerPort, BindAddress = "127.0.0.1", Secret = "s"u8.ToArray() };
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var run = h.Engine.RunListenerAsync(options, new CicdOps.Server.KestrelHttpServer(options), lines.Enqueue, stop.Token);
        try
        {
            CicdOps.Tests.Engine.QueueTests.WaitFor(() => lines.Any(l => l.StartsWith("listening on", StringComparison.Ordinal)));
            var add = Assert.Throws<CicdException>(() => h.Register(repo, name: "app", port: listenerPort));
            Assert.Equal(CicdError.InvalidPort, add.Error);
            Assert.Contains("listener", add.Message);
            h.Register(repo, name: "other", port: FreePort.Next());
            var set = Assert.Throws<CicdException>(() => h.Engine.UpdateProject("other", new ProjectUpdate { Port = listenerPort }));
            Assert.Contains("listener", set.Message);
        }
        finally
        {
            stop.Cancel();
            await run;
        }
        // Stopped cleanly: the port is free for an app again.
        h.Engine.UpdateProject("other", new ProjectUpdate { Port = listenerPort });
        Assert.Equal(listenerPort, h.Engine.GetProject("other").Port);
    }

    [Fact]
    public void Another_projects_port_is_refused_by_add_and_by_set()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        var port = FreePort.Next();
        h.Register(repo, name: "first", port: port);

        var add = Assert.Throws<CicdException>(() => h.Register(repo, name: "second", port: port));
        Assert.Contains("project 'first'", add.Message);
        Assert.Single(h.Engine.GetProjects());

        h.Register(repo, name: "second", port: FreePort.Next());
        var set = Assert.Throws<CicdException>(() => h.Engine.UpdateProject("second", new ProjectUpdate { Port = port }));
        Assert.Contains("project 'first'", set.Message);
        Assert.NotEqual(port, h.Engine.GetProject("second").Port);
    }

    [Fact]
    public void Set_refuses_a_privileged_port_or_the_listeners_unless_allowed_and_keeps_other_changes_possible()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        h.Register(repo, port: FreePort.Next());

        Assert.Throws<CicdException>(() => h.Engine.UpdateProject("app", new ProjectUpdate { Port = 80 }));
        Assert.Throws<CicdException>(() => h.Engine.UpdateProject("app", new ProjectUpdate { Port = 9641, AllowPrivilegedPort = true }));
        Assert.Equal(80, h.Engine.UpdateProject("app", new ProjectUpdate { Port = 80, AllowPrivilegedPort = true }).Port);
        // A project already on a privileged port can change anything else without repeating the consent.
        Assert.Equal(TimeSpan.FromSeconds(7), h.Engine.UpdateProject("app", new ProjectUpdate { HealthTimeout = TimeSpan.FromSeconds(7) }).HealthTimeout);
    }
}
