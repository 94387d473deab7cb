using CicdOps.Engine.State;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Releases;

/// <summary>The proxy setting lives in the database (schema v15); the per-project files of earlier versions move into it.</summary>
public sealed class ProxySettingStoreTests
{
    [Fact]
    public void A_setting_kept_in_a_file_by_an_earlier_version_moves_into_the_database_and_the_file_goes()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush("v1");
        h.Register(repo);
        var dir = Path.Combine(h.Engine.DataPath, "proxy");
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, "app");
        File.WriteAllText(file, "kind=Nginx\nfirst-port=18001\nsecond-port=18002\nupstream-file=/etc/nginx/cicdops/app.conf\n" +
            "nginx=/usr/sbin/nginx\nnginx-config=\ndrain-ms=2500\nactive-port=18002\n");

        var proxy = h.Engine.GetProxy("app");

        Assert.NotNull(proxy);
        Assert.Equal((18001, 18002, 18002), (proxy!.FirstPort, proxy.SecondPort, proxy.ActivePort!.Value));
        Assert.Equal("/etc/nginx/cicdops/app.conf", proxy.UpstreamFile);
        Assert.Equal(TimeSpan.FromMilliseconds(2500), proxy.DrainPeriod);
        Assert.Null(proxy.NginxConfig);
        Assert.False(File.Exists(file), "the file is gone once its setting is in the database");
        Assert.False(Directory.Exists(dir));
        var count = h.Engine.Context.Db.Read(c => c.Query("SELECT project FROM project_proxies", r => r.GetString(0)));
        Assert.Equal(new[] { "app" }, count);

        Assert.Equal(proxy, h.Engine.ClearProxy("app"));
        Assert.Null(h.Engine.GetProxy("app"));
    }
}
