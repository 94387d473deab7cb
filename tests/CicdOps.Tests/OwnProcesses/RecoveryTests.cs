using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using CicdOps.Engine.Model;
using CicdOps.Engine.State;
using CicdOps.Tests.Engine;
using CicdOps.Tests.Sandbox;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.OwnProcesses;

/// <summary>A runner that dies leaves no git behind: an orphaned `git fetch` held the ref lock the next deploy needed.</summary>
public sealed class RecoveryTests
{
    [RootFact]
    public void Git_left_running_by_a_worker_that_was_killed_is_stopped_when_the_deployment_is_recovered()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness(detachedWorkers: true);
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        var port = FreePort.Next();
        var daemonPort = FreePort.Next();
        var url = $"git://127.0.0.1:{port}/{Path.GetFileName(repo.BarePath)}";
        // The repository's address is a relay the test owns: it passes the registration's ls-remote to a real
        // git daemon, then stops answering, so the deployment's git waits forever.
        var forward = true;
        var held = new List<Socket>();
        using var relay = new TcpListener(IPAddress.Loopback, port);
        relay.Start();
        _ = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var client = await relay.AcceptSocketAsync();
                    lock (held) held.Add(client);
                    if (!Volatile.Read(ref forward)) continue;
                    var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    await upstream.ConnectAsync(IPAddress.Loopback, daemonPort);
                    lock (held) held.Add(upstream);
                    _ = Pump(client, upstream);
                    _ = Pump(upstream, client);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        });
        using (var daemon = Process.Start(new ProcessStartInfo(Path.Combine(Run.Command("git", null, "--exec-path").Trim(), "git-daemon"))
        {
            ArgumentList = { "--reuseaddr", "--export-all", "--listen=127.0.0.1", $"--port={daemonPort}", "--base-path=" + Path.GetDirectoryName(repo.BarePath), Path.GetDirectoryName(repo.BarePath)! },
        })!)
        {
            try
            {
                QueueTests.WaitFor(() => AppProcessTests.CanConnect(daemonPort));
                h.Engine.RegisterProject(new ProjectSpec { Name = "app", Repository = url, Path = Path.Combine(h.Root, "trees", "app") });
            }
            finally { daemon.Kill(entireProcessTree: true); daemon.WaitForExit(); }
        }
        Volatile.Write(ref forward, false);

        var d = h.Engine.RequestDeployment(new DeploymentRequest { Project = "app" });
        var git = 0;
        QueueTests.WaitFor(() => (git = GitTalkingTo(port)) > 0);
        var worker = RunnerIdentity.Pid(h.Engine.Context.Db.Read(c => DeploymentStore.Runner(c, d.Id))!)!.Value;
        Assert.NotEqual(Environment.ProcessId, worker);

        Assert.True(Posix(worker, 9), "kill -9 the worker");
        Assert.True(Processes.IsGone(worker));
        var recovered = h.Engine.RecoverInterrupted();

        Assert.Contains(recovered, r => r.Id == d.Id && r.Status == DeploymentStatus.Interrupted);
        Assert.True(Processes.IsGone(git), "the dead worker's git fetch must be stopped");
        relay.Stop();
        lock (held) foreach (var s in held) s.Dispose();
    }

    private static async Task Pump(Socket from, Socket to)
    {
        var buffer = new byte[8192];
        try
        {
            int n;
            while ((n = await from.ReceiveAsync(buffer)) > 0) await to.SendAsync(buffer.AsMemory(0, n));
            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
    }

    /// <summary>A git process whose command line names the black hole's port.</summary>
    private static int GitTalkingTo(int port)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var cmd = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                // argv[0] is "git", or its full path when the engine starts git itself (no setpriv in front, see ThreadLaunch).
                var argv0 = cmd.Split(' ')[0];
                if (Path.GetFileName(argv0) == "git" && cmd.Contains($"127.0.0.1:{port}/") && !cmd.Contains("ls-remote")) return pid;
            }
            catch (IOException) { }
        }
        return 0;
    }

    private static bool Posix(int pid, int signal) => Run.Try("kill", null, "-" + signal, pid.ToString()).Code == 0;
}
