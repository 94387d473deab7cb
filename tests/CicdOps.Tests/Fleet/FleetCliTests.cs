using System.Text.Json;
using CicdOps.Fleet;
using CicdOps.Tests.Cli;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Fleet;

/// <summary>`cicdops fleet …` as a user runs it, against the tests' real PostgreSQL.</summary>
[Collection(PostgresCollection.Name)]
public sealed class FleetCliTests
{
    private readonly PostgresCluster _pg;
    public FleetCliTests(PostgresCluster pg) { _pg = pg; }

    [Fact]
    public async Task Join_status_and_leave_never_print_the_registry_credentials()
    {
        var db = _pg.CreateDatabase();
        using var cli = new CliHarness();
        var outputs = new List<CliResult>();

        var join = cli.Run("fleet", "join", "--registry", _pg.Uri(db), "--name", "cli-node", "--interval", "1").ShouldExit(0);
        outputs.Add(join);
        Assert.Contains($"joined the fleet at postgres://***@127.0.0.1:{_pg.Port}/{db} as cli-node", join.StdOut);

        var status = cli.Run("fleet", "status").ShouldExit(0);
        outputs.Add(status);
        Assert.Matches(@"cli-node \(this\)\s+Online", status.StdOut);

        var json = cli.Run("fleet", "status", "--json").ShouldExit(0);
        outputs.Add(json);
        using (var doc = JsonDocument.Parse(json.StdOut))
        {
            Assert.Equal("cli-node", doc.RootElement.GetProperty("fleet").GetProperty("nodes")[0].GetProperty("name").GetString());
            Assert.Equal("Online", doc.RootElement.GetProperty("fleet").GetProperty("nodes")[0].GetProperty("state").GetString());
            Assert.Equal("PostgreSql", doc.RootElement.GetProperty("membership").GetProperty("backend").GetString());
        }

        var leave = cli.Run("fleet", "leave").ShouldExit(0);
        outputs.Add(leave);
        Assert.Contains("cli-node left the fleet", leave.StdOut);
        Assert.Contains("not in a fleet", cli.Run("fleet", "status").ShouldExit(0).StdOut);
        await using var r = FleetRegistries.Open(_pg.Uri(db));
        Assert.Empty((await r.GetSnapshotAsync(10, default)).Nodes);

        foreach (var o in outputs) Assert.DoesNotContain(_pg.Password, o.StdOut + o.StdErr);
        Assert.DoesNotContain(_pg.Password, string.Join("", Directory.GetFiles(cli.DataPath).Select(File.ReadAllText)));
    }

    [Fact]
    public void The_registry_can_come_from_stdin()
    {
        var db = _pg.CreateDatabase();
        using var cli = new CliHarness();
        using var p = cli.Start("fleet", "join", "--registry", "-", "--name", "stdin-node");
        p.StandardInput.WriteLine(_pg.Uri(db));
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(60_000));
        Assert.Equal(0, p.ExitCode);
        Assert.Contains("as stdin-node", stdout);
        Assert.DoesNotContain(_pg.Password, stdout);
    }

    [Fact]
    public void An_unreachable_registry_is_refused_unless_forced()
    {
        var dead = $"postgres://u:pw-never-shown@127.0.0.1:{FreePort.Next()}/db";
        using var cli = new CliHarness();

        var refused = cli.Run("fleet", "join", "--registry", dead).ShouldExit(1);
        Assert.Contains("--force", refused.StdErr);
        Assert.Contains("not in a fleet", cli.Run("fleet", "status").ShouldExit(0).StdOut);

        var forced = cli.Run("fleet", "join", "--registry", dead, "--force").ShouldExit(0);
        Assert.Contains("warning: not published yet", forced.StdErr);
        var status = cli.Run("fleet", "status").ShouldExit(1);
        Assert.Contains("cannot be reached", status.StdErr);
        Assert.Contains("--force", cli.Run("fleet", "leave").ShouldExit(1).StdErr);
        cli.Run("fleet", "leave", "--force").ShouldExit(0);
        foreach (var o in new[] { refused, forced, status }) Assert.DoesNotContain("pw-never-shown", o.StdOut + o.StdErr);
    }

    [Theory]
    [InlineData("fleet", "join", "--registry", "mysql://h/db")]
    [InlineData("fleet", "join", "--registry", "postgres://h/db", "--name", "no/slash")]
    [InlineData("fleet", "join", "--registry", "postgres://h/db", "--interval", "0")]
    [InlineData("fleet", "join", "--registry", "postgres://h/db", "--interval", "NaN")]
    [InlineData("fleet", "leave")]
    [InlineData("fleet", "sync", "--once")]
    public void Bad_input_is_one_line_and_changes_nothing(params string[] args)
    {
        using var cli = new CliHarness();
        var r = cli.Run(args).ShouldExit(1);
        Assert.Single(r.ErrLines);
        Assert.False(File.Exists(Path.Combine(cli.DataPath, "fleet.json")));
    }

    [Fact]
    public async Task Sync_once_publishes_the_projects_of_this_node()
    {
        var db = _pg.CreateDatabase();
        using var repo = new TestRepository();
        using var cli = new CliHarness();
        repo.WriteSleeper("v1", cli.StateDir).CommitAndPush("v1");
        cli.Add(repo, "shop");
        cli.Run("fleet", "join", "--registry", _pg.Uri(db), "--name", "n1").ShouldExit(0);
        cli.Run("project", "add", "blog", "--repo", repo.Url, "--path", cli.TreePath("blog")).ShouldExit(0);

        Assert.Contains("published n1", cli.Run("fleet", "sync", "--once").ShouldExit(0).StdOut);

        await using var r = FleetRegistries.Open(_pg.Uri(db));
        Assert.Equal(new[] { "blog", "shop" }, (await r.GetSnapshotAsync(10, default)).Projects.Select(p => p.Name).Order());
    }

    [Fact]
    public async Task The_listener_of_a_joined_node_publishes_it_and_a_killed_node_turns_stale()
    {
        var db = _pg.CreateDatabase();
        using var repo = new TestRepository();
        using var cli = new CliHarness();
        repo.WriteSleeper("v1", cli.StateDir).CommitAndPush("v1");
        cli.Add(repo, "shop");
        cli.Run("fleet", "join", "--registry", _pg.Uri(db), "--name", "svc", "--interval", "0.3").ShouldExit(0);
        using var listener = StartListener(cli);
        Assert.Contains(LoadedFiles(listener.Id), f => f.EndsWith("/Npgsql.dll", StringComparison.Ordinal));

        var sha = repo.WriteSleeper("v2", cli.StateDir).CommitAndPush("v2");
        cli.Run("deploy", "shop").ShouldExit(0);
        await using var r = FleetRegistries.Open(_pg.Uri(db));
        var until = DateTime.UtcNow.AddSeconds(60);
        FleetSnapshot s;
        do { s = await r.GetSnapshotAsync(10, default); await Task.Delay(100); }
        while (s.Projects.SingleOrDefault()?.Commit != sha && DateTime.UtcNow < until);
        Assert.Equal(sha, s.Projects.Single().Commit);
        Assert.Equal(FleetNodeState.Online, s.Nodes.Single().State);

        listener.Kill();
        listener.WaitForExit();
        until = DateTime.UtcNow.AddSeconds(60);
        do { s = await r.GetSnapshotAsync(10, default); await Task.Delay(100); }
        while (s.Nodes.Single().State != FleetNodeState.Stale && DateTime.UtcNow < until);
        Assert.Equal(FleetNodeState.Stale, s.Nodes.Single().State);
    }

    [Fact]
    public void A_listener_whose_fleet_settings_cannot_be_used_still_serves_and_says_why()
    {
        var db = _pg.CreateDatabase();
        using var cli = new CliHarness();
        cli.Run("fleet", "join", "--registry", _pg.Uri(db), "--name", "svc").ShouldExit(0);
        // Another master key: the stored registry URI no longer decrypts.
        File.WriteAllBytes(Path.Combine(cli.DataPath, "master.key"), System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

        using var listener = StartListener(cli);
        Run.Command("kill", null, "-TERM", listener.Id.ToString());
        Assert.True(listener.WaitForExit(30_000));
        Assert.Equal(0, listener.ExitCode);
        var output = listener.StandardOutput.ReadToEnd();
        Assert.Contains("fleet: not publishing this node: ", output);
        Assert.Contains("cannot be decrypted", output);
    }

    [Fact]
    public void A_listener_that_has_not_joined_never_loads_the_registry_drivers()
    {
        using var cli = new CliHarness();
        using var listener = StartListener(cli);
        var files = LoadedFiles(listener.Id);
        Assert.Contains(files, f => f.EndsWith("/CicdOps.Engine.dll", StringComparison.Ordinal));
        Assert.DoesNotContain(files, f => f.EndsWith("/Npgsql.dll", StringComparison.Ordinal) || f.EndsWith("/MongoDB.Driver.dll", StringComparison.Ordinal)
            || f.EndsWith("/CicdOps.Fleet.dll", StringComparison.Ordinal));
        listener.Kill();
        listener.WaitForExit();
    }

    private static System.Diagnostics.Process StartListener(CliHarness cli)
    {
        var secretFile = Path.Combine(cli.Root, "webhook.secret");
        File.WriteAllText(secretFile, "fleet-test-secret\n");
        var port = FreePort.Next();
        var p = cli.Start("listen", "--port", port.ToString(), "--bind", "127.0.0.1", "--webhook-secret-file", secretFile);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!CicdOps.Tests.Engine.AppProcessTests.CanConnect(port))
        {
            if (p.HasExited) Assert.Fail("listen exited: " + p.StandardError.ReadToEnd());
            if (DateTime.UtcNow > deadline) Assert.Fail("listen did not start");
            Thread.Sleep(50);
        }
        return p;
    }

    /// <summary>The files a process has mapped: managed assemblies appear once loaded.</summary>
    private static List<string> LoadedFiles(int pid) =>
        File.ReadAllLines($"/proc/{pid}/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(f => f.Length >= 6)
            .Select(f => f[^1]).Distinct().ToList();
}
