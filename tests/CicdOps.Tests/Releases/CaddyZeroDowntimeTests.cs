using System.Net.Http;
using CicdOps.Engine;
using CicdOps.Engine.Model;
using CicdOps.Tests.Sandbox;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Releases;

/// <summary>
/// The zero-downtime switch through a real Caddy's admin API, under a client polling Caddy the whole time: a good
/// deploy, a failing deploy and a rollback each leave 0 failed requests, and a failed health check never reaches Caddy.
/// </summary>
public sealed class CaddyZeroDowntimeTests
{
    private static ProxySpec Spec(CaddyServer caddy, int a, int b) => new()
    {
        Ports = new[] { a, b }, CaddyAdmin = caddy.Admin, CaddyRoute = CaddyServer.Route, DrainPeriod = TimeSpan.FromSeconds(1),
    };

    private static string Get(HttpClient http, string url) => ProxyPoller.Get(http, url);

    private static string Dial(int port) => $"[{{\"dial\":\"127.0.0.1:{port}\"}}]";

    [RootFact]
    public void A_good_deploy_a_failing_deploy_and_a_rollback_through_caddy_fail_no_request()
    {
        Assert.True(File.Exists(CaddyServer.Program), "caddy is installed by .ci/run");
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var (a, b) = (FreePort.Next(), FreePort.Next());
        using var caddy = new CaddyServer(a);
        var v1 = repo.WriteWebApp("v1").CommitAndPush("v1");
        h.Register(repo);
        var set = h.Engine.SetProxy("app", Spec(caddy, a, b));
        Assert.Equal(ProxyKind.Caddy, set.Kind);
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, h.Deploy("app"));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        Assert.Equal("v1", Get(http, caddy.Url("/VERSION")));
        Assert.Equal(a, h.Engine.GetProxy("app")!.ActivePort);

        using var poller = new ProxyPoller(caddy.Url("/VERSION"));

        // (a) A good deploy: v2 starts on b beside v1, Caddy's route is pointed at b, v1 drains and stops.
        repo.WriteWebApp("v2").CommitAndPush("v2");
        var good = h.Deploy("app");
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, good);
        Assert.Equal("v2", Get(http, caddy.Url("/VERSION")));
        Assert.Equal(Dial(b), caddy.Upstreams());
        Assert.Contains("caddy now sends app's requests to port " + b, h.Log(good));
        var afterGood = poller.Requests;

        // (b) A failing deploy: v3 never passes its health check, so Caddy is never pointed at it.
        repo.WriteWebApp("v3", healthy: false).CommitAndPush("v3");
        var bad = h.Deploy("app");
        DeploymentAssert.Status(h, DeploymentStatus.RolledBack, bad);
        Assert.Contains("the old release kept serving", bad.Reason);
        Assert.Equal(Dial(b), caddy.Upstreams());
        Assert.Equal("v2", Get(http, caddy.Url("/VERSION")));

        // (c) A rollback to v1's kept release goes through the same switch, without git.
        var back = h.Wait(h.Engine.Rollback("app", v1, pin: false, force: false));
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, back);
        Assert.Equal(0, ReleaseHarness.GitCalls(h, back));
        Assert.Equal("v1", Get(http, caddy.Url("/VERSION")));
        Assert.Equal(Dial(a), caddy.Upstreams());

        poller.Dispose();
        var failures = poller.Failures;
        Assert.True(poller.Requests > afterGood + 20, $"the client kept polling ({poller.Requests} requests)");
        Assert.True(failures.Count == 0, $"{failures.Count} of {poller.Requests} requests failed:\n{string.Join('\n', failures.Take(10))}\n--- caddy ---\n{caddy.Log}");
    }

    [RootFact]
    public void A_caddy_admin_off_loopback_a_bad_route_id_or_a_route_caddy_lacks_is_one_clear_error_and_nothing_is_stored()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var (a, b) = (FreePort.Next(), FreePort.Next());
        using var caddy = new CaddyServer(a);
        repo.WriteWebApp("v1").CommitAndPush("v1");
        h.Register(repo);
        var bad = new (ProxySpec Spec, string Says)[]
        {
            (Spec(caddy, a, b) with { CaddyAdmin = "http://10.1.2.3:2019" }, "must be on loopback"),
            (Spec(caddy, a, b) with { CaddyAdmin = "https://127.0.0.1:2019" }, "give http://127.0.0.1:PORT"),
            (Spec(caddy, a, b) with { CaddyAdmin = caddy.Admin + "/config" }, "give http://127.0.0.1:PORT"),
            (Spec(caddy, a, b) with { CaddyRoute = "../config" }, "Invalid Caddy route id"),
            (Spec(caddy, a, b) with { CaddyRoute = "no-such-route" }, "has no handler with"),
            (Spec(caddy, a, b) with { CaddyRoute = null }, "needs both"),
            (Spec(caddy, a, b) with { UpstreamFile = "/etc/nginx/x.conf" }, "not both"),
        };
        foreach (var (spec, says) in bad)
        {
            var e = Assert.Throws<CicdException>(() => h.Engine.SetProxy("app", spec));
            Assert.Contains(says, e.Message);
            Assert.DoesNotContain('\n', e.Message);
            Assert.Null(h.Engine.GetProxy("app"));
        }
        Assert.Equal(Dial(a), caddy.Upstreams());
    }
}
