using CicdOps.Tests.Support;

namespace CicdOps.Tests.Cli;

/// <summary>`--allow-privileged-port` is a switch (no value, like --clear-port) on `project add` and `project set`.</summary>
[Collection("cli")]
public sealed class CliPortTests
{
    [Fact]
    public void Project_add_refuses_port_22_naming_the_flag_and_accepts_it_with_the_switch()
    {
        using var repo = new TestRepository();
        using var cli = new CliHarness();
        repo.WriteSleeper("v1", cli.StateDir).CommitAndPush();

        var refused = cli.Run("project", "add", "app", "--repo", repo.Url, "--path", cli.TreePath("app"), "--port", "22");
        Assert.NotEqual(0, refused.Code);
        Assert.Contains("Port 22 is a privileged port", refused.StdErr);
        Assert.Contains("--allow-privileged-port", refused.StdErr);
        Assert.Empty(cli.Projects());

        var p = cli.Add(repo, "app", "--port", "22", "--allow-privileged-port");
        Assert.Equal(22, p.Port);
    }

    [Fact]
    public void Project_set_takes_the_switch_only_with_a_new_port()
    {
        using var repo = new TestRepository();
        using var cli = new CliHarness();
        repo.WriteSleeper("v1", cli.StateDir).CommitAndPush();
        cli.Add(repo, "app", "--port", FreePort.Next().ToString());

        Assert.NotEqual(0, cli.Run("project", "set", "app", "--port", "80").Code);
        var alone = cli.Run("project", "set", "app", "--allow-privileged-port");
        Assert.NotEqual(0, alone.Code);
        Assert.Contains("--allow-privileged-port applies to a new --port", alone.StdErr);
        cli.Run("project", "set", "app", "--port", "80", "--allow-privileged-port", "--json").ShouldExit(0);
        Assert.Equal(80, cli.Projects().Single().Port);
    }

    [Fact]
    public void A_deploy_never_stops_a_listener_that_holds_the_projects_port_and_names_it()
    {
        using var repo = new TestRepository();
        using var cli = new CliHarness();
        repo.WriteWebApp("v1").CommitAndPush();
        var port = FreePort.Next();
        cli.Add(repo, "app", "--port", port.ToString());
        using var listener = cli.Start("listen", "--port", port.ToString(), "--bind", "127.0.0.1", "--allow-unsigned");
        try
        {
            CicdOps.Tests.Engine.QueueTests.WaitFor(() => listener.HasExited || CicdOps.Tests.Engine.AppProcessTests.CanConnect(port));
            Assert.False(listener.HasExited, "listen exited: " + (listener.HasExited ? listener.StandardError.ReadToEnd() : ""));

            var r = cli.Run("deploy", "app");

            Assert.NotEqual(0, r.Code);
            Assert.Contains($"port {port} is held by pid {listener.Id} (user ", r.StdOut + r.StdErr);
            Assert.False(listener.HasExited, "the listener must never be stopped by a deploy");
        }
        finally
        {
            if (!listener.HasExited) listener.Kill();
        }
    }
}
