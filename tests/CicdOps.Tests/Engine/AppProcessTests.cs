using System.Diagnostics;
using CicdOps.Engine;
using CicdOps.Engine.Model;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Engine;

public sealed class AppProcessTests
{
    [Fact]
    public void A_background_app_handed_over_through_CICD_PID_FILE_is_tracked_and_stopped_on_the_next_deploy()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var daemonPid = Path.Combine(h.StateDir, "daemon.pid");
        // Like pm2 or tmux: start a daemon in its own session, record its PID, exit 0.
        repo.Write(".cicd/run.sh", $"""
            #!/bin/bash
            setsid sleep 300 </dev/null >/dev/null 2>&1 &
            echo $! > "$CICD_PID_FILE"
            echo $! > "{daemonPid}"
            exit 0
            """).CommitAndPush();
        h.Register(repo); // no health.sh: the handed-over process must stay alive

        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
        var first = int.Parse(File.ReadAllText(daemonPid).Trim());
        Assert.True(Processes.IsRunning(first));
        Assert.Equal(first, FirstDeployTests.AppPid(h));

        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
        Assert.True(Processes.IsGone(first), "the previous daemon must be stopped by the next deploy");
    }

    [Fact]
    public void A_run_sh_that_exits_without_a_pid_file_or_health_check_is_unhealthy()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.Write(".cicd/run.sh", "#!/bin/bash\nexit 0\n").CommitAndPush();
        h.Register(repo);

        var d = h.Deploy("app");

        DeploymentAssert.Status(h, DeploymentStatus.Failed, d);
        Assert.Contains("CICD_PID_FILE", d.Reason);
    }

    [Fact]
    public void Without_cgroups_the_projects_own_escaped_daemon_holding_the_port_is_stopped_and_the_new_app_serves_on_it()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness(new EngineOptions { ProcessTracking = ProcessTracking.ProcessGroup });
        var port = FreePort.Next();
        var daemonPid = Path.Combine(h.StateDir, "daemon.pid");
        // run.sh hands the app to a daemon outside its process group and records nothing: health.sh decides.
        repo.Write("VERSION", "v1\n").Write(".cicd/run.sh", $"""
            #!/bin/bash
            setsid python3 -m http.server "$PORT" --bind 127.0.0.1 </dev/null >/dev/null 2>&1 &
            echo $! > "{daemonPid}"
            exit 0
            """).Write(".cicd/health.sh", "#!/bin/bash\ncurl -fsS \"http://127.0.0.1:$PORT/VERSION\" >/dev/null\n").CommitAndPush();
        h.Register(repo, port: port);
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
        var stray = int.Parse(File.ReadAllText(daemonPid).Trim());

        repo.WriteWebApp("v2").CommitAndPush();
        var d = h.Deploy("app");

        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, d);
        Assert.True(Processes.IsGone(stray), "the project's own stray must have been stopped");
        Assert.Contains($"port {port} is held by the project's own pid {stray}", h.Log(d));
        using var http = new HttpClient();
        Assert.Equal("v2", http.GetStringAsync($"http://127.0.0.1:{port}/VERSION").Result.Trim());
    }

    [Fact]
    public void Without_health_sh_a_project_with_a_port_is_healthy_once_something_listens()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var port = FreePort.Next();
        repo.WriteWebApp("v1").Delete(".cicd/health.sh").CommitAndPush();
        h.Register(repo, port: port);

        var d = h.Deploy("app");

        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, d);
        Assert.Contains($"port {port} listening", h.Log(d));
    }

    [Fact]
    public void Scripts_get_the_CICD_environment()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var envFile = Path.Combine(h.StateDir, "env");
        repo.Write(".cicd/run.sh", $"#!/bin/bash\nenv | grep -E '^(CICD_|PORT=)' | sort > \"{envFile}\"\nexec sleep 300\n").CommitAndPush();
        var port = FreePort.Next();
        h.Register(repo, port: port);

        var d = h.Wait(h.Engine.RequestDeployment(new DeploymentRequest { Project = "app" }));
        QueueTests.WaitFor(() => File.Exists(envFile) && File.ReadAllText(envFile).Contains("PORT="));

        var env = File.ReadAllText(envFile);
        Assert.Contains("CICD_PROJECT=app", env);
        Assert.Contains($"CICD_COMMIT={d.Commit}", env);
        Assert.Contains("CICD_BRANCH=main", env);
        Assert.Contains($"CICD_DEPLOYMENT_ID={d.Id}", env);
        var account = h.Engine.GetProject("app").ServiceUser;
        var pidFile = h.Engine.IsSandboxed
            ? Path.Combine(Run.Command("getent", null, "passwd", account!).Split(':')[5], ".cicdops", "run", "app", "app.pid")
            : Path.Combine(h.DataPath, "run", "app", "app.pid");
        Assert.Contains("CICD_PID_FILE=" + pidFile, env);
        Assert.Contains($"PORT={port}", env);
    }

    internal static bool CanConnect(int port)
    {
        try { using var c = new System.Net.Sockets.TcpClient(); c.Connect("127.0.0.1", port); return true; }
        catch (System.Net.Sockets.SocketException) { return false; }
    }
}
