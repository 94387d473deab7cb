using CicdOps.Engine;
using CicdOps.Engine.Listener;
using CicdOps.Engine.Webhooks;
using Xunit;

namespace CicdOps.Tests.Listener;

public class ListenerOptionsTests
{
    [Fact]
    public void DefaultsAreAllInterfacesOnPort9641()
    {
        var o = new ListenerOptions { Secret = "s"u8.ToArray() };
        Assert.Equal("http://+:9641/", o.Prefix);
        Assert.Null(o.Validate());
        Assert.False(o.AcceptsUnsigned);
    }

    [Fact]
    public void NoSecretOnAPublicInterfaceRefusesToStartInOneLine()
    {
        var error = new ListenerOptions().Validate();
        Assert.NotNull(error);
        Assert.Contains("secret", error);
        Assert.DoesNotContain('\n', error);
        Assert.NotNull(new ListenerOptions { BindAddress = "10.0.0.5" }.Validate());
    }

    [Theory]
    [InlineData("127.0.0.1", "http://127.0.0.1:9641/")]
    [InlineData("::1", "http://[::1]:9641/")]
    [InlineData("localhost", "http://localhost:9641/")]
    public void Loopback_no_longer_implies_unsigned_deliveries_are_fine(string bind, string prefix)
    {
        // Behind a reverse proxy every delivery arrives on loopback: unsigned needs AllowUnsigned wherever we bind.
        var o = new ListenerOptions { BindAddress = bind };
        Assert.NotNull(o.Validate());
        Assert.False(o.AcceptsUnsigned);
        Assert.Equal(prefix, o.Prefix);
        Assert.Null((o with { AllowUnsigned = true }).Validate());
        Assert.True((o with { AllowUnsigned = true }).AcceptsUnsigned);
    }

    [Fact]
    public void A_GitLab_token_equal_to_the_webhook_secret_is_refused_in_one_line()
    {
        var error = new ListenerOptions { Secret = "same"u8.ToArray(), GitLabToken = "same"u8.ToArray() }.Validate();
        Assert.NotNull(error);
        Assert.Contains("GitLab token must differ", error);
        Assert.Null(new ListenerOptions { Secret = "one"u8.ToArray(), GitLabToken = "two"u8.ToArray() }.Validate());
        // A GitLab token alone is a secret too.
        Assert.Null(new ListenerOptions { GitLabToken = "two"u8.ToArray() }.Validate());
    }

    [Fact]
    public void TLS_needs_both_the_certificate_and_the_key()
    {
        Assert.NotNull(new ListenerOptions { Secret = "s"u8.ToArray(), TlsCertificateFile = "/x.pem" }.Validate());
        Assert.Equal("https://127.0.0.1:9641/", new ListenerOptions { BindAddress = "127.0.0.1", TlsCertificateFile = "/x.pem", TlsKeyFile = "/k.pem" }.Prefix);
    }

    [Fact]
    public void PerProjectSecretsAloneAreEnough()
    {
        var o = new ListenerOptions { ProjectSecret = _ => null };
        Assert.Null(o.Validate());
        Assert.False(o.AcceptsUnsigned); // a project without its own secret still refuses unsigned deliveries
    }

    [Fact]
    public void NoSecretIsAllowedWhenExplicitlyUnsigned() =>
        Assert.Null(new ListenerOptions { AllowUnsigned = true }.Validate());

    [Theory]
    [InlineData(0, "+")]
    [InlineData(70000, "+")]
    [InlineData(9641, "bad host/name")]
    [InlineData(9641, "")]
    public void BadPortOrAddressIsRefused(int port, string bind) =>
        Assert.NotNull(new ListenerOptions { Port = port, BindAddress = bind, Secret = "s"u8.ToArray() }.Validate());

    [Fact]
    public void StartThrowsTheSameOneLineReason()
    {
        var dir = Path.Combine(Path.GetTempPath(), "cicdops-opts-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var options = new ListenerOptions { Port = TestListener.FreePort() };
            using var engine = CicdEngine.Open(new EngineOptions { DataPath = dir });
            // The engine refuses the options already when making the listener; Start (of a listener made otherwise) says the same.
            var e = Assert.Throws<CicdException>(() => engine.CreateWebhookListener(options, new CicdOps.Server.KestrelHttpServer(options)).Start());
            Assert.Equal(new ListenerOptions().Validate(), e.Message);
            Assert.Equal("CicdInvalidArgument", e.ErrorId);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void APortInUseIsOneClearError()
    {
        var dir = Path.Combine(Path.GetTempPath(), "cicdops-opts-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        try
        {
            var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
            var options = new ListenerOptions { Port = port, BindAddress = "127.0.0.1", AllowUnsigned = true };
            using var engine = CicdEngine.Open(new EngineOptions { DataPath = dir });
            var listener = engine.CreateWebhookListener(options, new CicdOps.Server.KestrelHttpServer(options));
            var e = Assert.Throws<CicdException>(listener.Start);
            Assert.Equal("CicdInvalidPort", e.ErrorId);
            Assert.Contains(port.ToString(), e.Message);
            listener.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        finally
        {
            taken.Stop();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, true);
        }
    }
}
