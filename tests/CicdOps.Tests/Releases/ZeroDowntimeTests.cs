using System.Net.Http;
using CicdOps.Engine;
using CicdOps.Engine.Model;
using CicdOps.Tests.Sandbox;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Releases;

/// <summary>
/// The zero-downtime switch through a real nginx started by the test, under a client polling the proxy the
/// whole time: a good deploy, a failing deploy and a rollback each leave 0 failed requests.
/// </summary>
public sealed class ZeroDowntimeTests
{
    private static ProxySpec Spec(NginxServer nginx, int a, int b, TimeSpan? drain = null) => new()
    {
        Ports = new[] { a, b }, UpstreamFile = nginx.UpstreamFile, Nginx = NginxServer.Program, NginxConfig = nginx.Config,
        DrainPeriod = drain ?? TimeSpan.FromSeconds(1),
    };

    private static string Get(HttpClient http, string url) => ProxyPoller.Get(http, url);

    private static string? TryGet(HttpClient http, string url)
    {
        try { return Get(http, url); }
        catch (HttpRequestException) { return null; }
    }

    [RootFact]
    public void A_good_deploy_a_failing_deploy_and_a_rollback_through_nginx_fail_no_request()
    {
        Assert.True(File.Exists(NginxServer.Program), "nginx-light is installed by .ci/run");
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var (a, b) = (FreePort.Next(), FreePort.Next());
        using var nginx = new NginxServer(a);
        var v1 = repo.WriteWebApp("v1").CommitAndPush("v1");
        var p = h.Register(repo);
        Assert.Equal(ProjectDefaults.KeepReleases, p.KeepReleases);
        h.Engine.SetProxy("app", Spec(nginx, a, b));
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        Assert.Equal("v1", Get(http, nginx.Url("/VERSION")));
        Assert.Equal(a, h.Engine.GetProxy("app")!.ActivePort);

        using var poller = new ProxyPoller(nginx.Url("/VERSION"));

        // (a) A good deploy: v2 starts on b beside v1, nginx switches, v1 drains and stops.
        repo.WriteWebApp("v2").CommitAndPush("v2");
        var good = h.Deploy("app");
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, good);
        Assert.Equal("v2", Get(http, nginx.Url("/VERSION")));
        Assert.Contains("keeps serving on port " + a, h.Log(good));
        Assert.Contains($"127.0.0.1:{b};", File.ReadAllText(nginx.UpstreamFile));
        Assert.False(Listening(a), "the old app was stopped after draining");
        var afterGood = poller.Requests;

        // (b) A failing deploy: v3 never passes its health check, so nginx is never pointed at it.
        var upstreamBefore = File.ReadAllText(nginx.UpstreamFile);
        repo.WriteWebApp("v3", healthy: false).CommitAndPush("v3");
        var bad = h.Deploy("app");
        DeploymentAssert.Status(h, DeploymentStatus.RolledBack, bad);
        Assert.Contains("the old release kept serving", bad.Reason);
        Assert.Equal("v2", Get(http, nginx.Url("/VERSION")));
        Assert.Equal(upstreamBefore, File.ReadAllText(nginx.UpstreamFile));
        Assert.False(Listening(a), "the unhealthy release was stopped");
        Assert.Equal(HealthyStatus(h), ProjectStatus.Healthy);

        // (c) A rollback to v1's kept release goes through the same switch, without git.
        var back = h.Wait(h.Engine.Rollback("app", v1, pin: false, force: false));
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, back);
        Assert.Equal(0, ReleaseHarness.GitCalls(h, back));
        Assert.Equal("v1", Get(http, nginx.Url("/VERSION")));
        Assert.Contains($"127.0.0.1:{a};", File.ReadAllText(nginx.UpstreamFile));
        Assert.False(Listening(b), "v2 drained and stopped");

        poller.Dispose();
        Assert.True(poller.Requests > afterGood + 20, $"the client kept polling ({poller.Requests} requests)");
        Assert.True(poller.Failures.Count == 0, $"{poller.Failures.Count} of {poller.Requests} requests failed:\n{string.Join('\n', poller.Failures.Take(10))}\n--- nginx ---\n{nginx.ErrorLog}");
    }

    [RootFact]
    public void A_configuration_nginx_refuses_leaves_the_old_release_serving_and_the_upstream_file_as_it_was()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var (a, b) = (FreePort.Next(), FreePort.Next());
        using var nginx = new NginxServer(a);
        repo.WriteWebApp("v1").CommitAndPush("v1");
        h.Register(repo);
        h.Engine.SetProxy("app", Spec(nginx, a, b));
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
        var upstream = File.ReadAllText(nginx.UpstreamFile);
        // The running nginx keeps its loaded configuration; the file on disk no longer passes nginx -t.
        File.AppendAllText(nginx.Config, "\nthis is not nginx;\n");

        repo.WriteWebApp("v2").CommitAndPush("v2");
        var d = h.Deploy("app");

        DeploymentAssert.Status(h, DeploymentStatus.RolledBack, d);
        Assert.Contains("nginx -t refused", d.Reason);
        Assert.Equal(upstream, File.ReadAllText(nginx.UpstreamFile));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        Assert.Equal("v1", Get(http, nginx.Url("/VERSION")));
        Assert.False(Listening(b), "the new release was stopped");
        Assert.Equal(a, h.Engine.GetProxy("app")!.ActivePort);
    }

    [RootFact]
    public void Unsafe_upstream_files_and_ports_are_one_clear_error_and_nothing_is_stored()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        using var nginx = new NginxServer(FreePort.Next());
        repo.WriteWebApp("v1").CommitAndPush("v1");
        var p = h.Register(repo);
        var other = h.Engine.RegisterProject(new ProjectSpec
        {
            Name = "other", Repository = repo.Url, Path = Path.Combine(h.Root, "trees", "other"), Branch = repo.Branch, Port = FreePort.Next(),
        });
        using var open = new TempDirectory("cicdops-open");
        File.SetUnixFileMode(open.Path, (UnixFileMode)0b111_111_111);
        var linked = Path.Combine(h.Root, "linked");
        Directory.CreateSymbolicLink(linked, Path.GetDirectoryName(nginx.UpstreamFile)!);
        var (a, b) = (FreePort.Next(), FreePort.Next());
        var bad = new (ProxySpec Spec, string Says)[]
        {
            (Spec(nginx, a, b) with { UpstreamFile = Path.Combine(p.Path, "upstream.conf") }, "inside the tree of project 'app'"),
            (Spec(nginx, a, b) with { UpstreamFile = Path.Combine(h.Root, "trees", "other", "x.conf") }, "inside the tree of project 'other'"),
            (Spec(nginx, a, b) with { UpstreamFile = Path.Combine(linked, "app.conf") }, "symbolic link"),
            (Spec(nginx, a, b) with { UpstreamFile = Path.Combine(open.Path, "app.conf") }, "writable by nobody else"),
            (Spec(nginx, a, b) with { UpstreamFile = "relative.conf" }, "absolute path"),
            (Spec(nginx, a, a), "two different ports"),
            (Spec(nginx, a, other.Port!.Value), "port of project 'other'"),
            (Spec(nginx, a, b) with { Nginx = Path.Combine(h.Root, "no-nginx") }, "no such file"),
        };
        foreach (var (spec, says) in bad)
        {
            var e = Assert.Throws<CicdException>(() => h.Engine.SetProxy("app", spec));
            Assert.Contains(says, e.Message);
            Assert.DoesNotContain('\n', e.Message);
            Assert.Null(h.Engine.GetProxy("app"));
        }
        // A file that is a link is replaced, never written through: refused at once.
        File.CreateSymbolicLink(Path.Combine(Path.GetDirectoryName(nginx.UpstreamFile)!, "link.conf"), "/etc/passwd");
        var link = Assert.Throws<CicdException>(() => h.Engine.SetProxy("app", Spec(nginx, a, b) with { UpstreamFile = Path.Combine(Path.GetDirectoryName(nginx.UpstreamFile)!, "link.conf") }));
        Assert.Contains("is a symbolic link", link.Message);
        // In-place projects have no second tree to start beside the first.
        h.Engine.UpdateProject("other", new ProjectUpdate { ClearPort = true, KeepReleases = 0 });
        Assert.Contains("needs release directories", Assert.Throws<CicdException>(() => h.Engine.SetProxy("other", Spec(nginx, a, b))).Message);

        h.Engine.SetProxy("app", Spec(nginx, a, b));
        // Another project cannot take a port of the pair.
        Assert.Contains("proxy ports of project 'app'", Assert.Throws<CicdException>(() => h.Engine.UpdateProject("other", new ProjectUpdate { Port = b })).Message);
    }

    [RootFact]
    public void A_worker_killed_while_the_old_app_drains_leaves_the_new_one_serving_and_recovery_stops_the_drained_one()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness(detachedWorkers: true);
        var (a, b) = (FreePort.Next(), FreePort.Next());
        using var nginx = new NginxServer(a);
        repo.WriteWebApp("v1").CommitAndPush("v1");
        h.Register(repo);
        h.Engine.SetProxy("app", Spec(nginx, a, b, drain: TimeSpan.FromMinutes(10)));
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));

        repo.WriteWebApp("v2").CommitAndPush("v2");
        var d = h.Engine.RequestDeployment(new DeploymentRequest { Project = "app" });
        CicdOps.Tests.Engine.QueueTests.WaitFor(() => h.Log(d).Contains("draining the old app"));
        var worker = CicdOps.Engine.State.RunnerIdentity.Pid(h.Engine.Context.Db.Read(c => CicdOps.Engine.State.DeploymentStore.Runner(c, d.Id))!)!.Value;
        Assert.True(Listening(a) && Listening(b), "both apps run while the old one drains");
        // `nginx -s reload` is asynchronous: until its old workers stop accepting, a new connection may still reach the
        // old app. The drain covers that in real use; here the old app goes at once, so wait for the new workers first.
        using (var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(10) })
            CicdOps.Tests.Engine.QueueTests.WaitFor(() => Enumerable.Range(0, 5).All(_ => TryGet(probe, nginx.Url("/VERSION")) == "v2"));
        // Five answers from v2 do not prove the old worker stopped accepting (it shares the listening socket): wait for it.
        CicdOps.Tests.Engine.QueueTests.WaitFor(nginx.OnlyTheCurrentWorker);
        Assert.Equal(0, Run.Try("kill", null, "-9", worker.ToString()).Code);
        Assert.True(Processes.IsGone(worker));

        // What the next deploy's runner and the listener's start do first.
        var recovered = h.Engine.RecoverInterrupted();

        Assert.Contains(recovered, r => r.Id == d.Id && r.Status == DeploymentStatus.Interrupted);
        Assert.False(Listening(a), "the app left draining by the killed worker was stopped");
        Assert.True(Listening(b), "the app the proxy points at keeps running");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        Assert.True(TryGet(http, nginx.Url("/VERSION")) == "v2", "nginx serves v2; its error log: " + nginx.ErrorLog);
    }

    private static ProjectStatus HealthyStatus(EngineHarness h) => h.Engine.GetProject("app").Status;

    private static bool Listening(int port)
    {
        try
        {
            using var c = new System.Net.Sockets.TcpClient();
            c.Connect("127.0.0.1", port);
            return true;
        }
        catch (System.Net.Sockets.SocketException) { return false; }
    }
}
