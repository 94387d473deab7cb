using CicdOps.Engine.Fleet;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Fleet;

public sealed class FleetMembershipTests
{
    private const string Uri = "postgres://fleet:s3cret-Passw0rd@db.example.invalid:5432/cicd?sslmode=require";

    [Fact]
    public void Joining_stores_the_uri_encrypted_and_shows_it_masked()
    {
        using var h = new EngineHarness();
        var m = h.Engine.JoinFleet(Uri, "web-01", TimeSpan.FromSeconds(2));

        Assert.Equal((RegistryBackend.PostgreSql, "postgres://***@db.example.invalid:5432/cicd?sslmode=require", "web-01", TimeSpan.FromSeconds(2)),
            (m.Backend, m.Registry, m.NodeName, m.SyncInterval));
        var file = Path.Combine(h.DataPath, "fleet.json");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        var stored = File.ReadAllText(file);
        Assert.DoesNotContain("s3cret", stored);
        Assert.DoesNotContain("fleet:", stored);
        Assert.Equal(Uri, h.Engine.RevealRegistryUri());
        Assert.Equal("web-01", h.Engine.GetNodeIdentity().Name);
        Assert.Equal(m, h.Engine.GetFleetMembership());
    }

    [Fact]
    public void The_stored_uri_needs_the_master_key()
    {
        using var h = new EngineHarness();
        h.Engine.JoinFleet(Uri);
        var key = Path.Combine(h.DataPath, "master.key");
        File.WriteAllBytes(key, System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        using var other = CicdEngine.Open(h.Options);
        Assert.Equal(CicdError.SecretDecryptionFailed, Assert.Throws<CicdException>(() => other.RevealRegistryUri()).Error);
    }

    [Fact]
    public void Leaving_forgets_the_registry()
    {
        using var h = new EngineHarness();
        h.Engine.JoinFleet(Uri, "web-01");
        Assert.True(h.Engine.LeaveFleet());
        Assert.Null(h.Engine.GetFleetMembership());
        Assert.False(File.Exists(Path.Combine(h.DataPath, "fleet.json")));
        Assert.Equal(Environment.MachineName, h.Engine.GetNodeIdentity().Name);
        Assert.False(h.Engine.LeaveFleet());
    }

    [Theory]
    [InlineData("mysql://u:p@h/db")]
    [InlineData("postgres://")]
    [InlineData("db.example.com")]
    [InlineData("postgres://u:p@h/db with space")]
    public void A_bad_uri_is_refused_and_nothing_is_stored(string uri)
    {
        using var h = new EngineHarness();
        var e = Assert.Throws<CicdException>(() => h.Engine.JoinFleet(uri));
        Assert.Equal(CicdError.InvalidArgument, e.Error);
        Assert.DoesNotContain(":p@", e.Message);
        Assert.Null(h.Engine.GetFleetMembership());
    }

    [Theory]
    [InlineData("", "Invalid node name")]
    [InlineData("-lead", "Invalid node name")]
    [InlineData("a/b", "Invalid node name")]
    public void A_bad_node_name_is_refused(string name, string message)
    {
        using var h = new EngineHarness();
        Assert.Contains(message, Assert.Throws<CicdException>(() => h.Engine.JoinFleet(Uri, name)).Message);
        Assert.Null(h.Engine.GetFleetMembership());
    }

    [Theory]
    [InlineData("postgres://u:pw@h:5432/db", "postgres://***@h:5432/db")]
    [InlineData("postgres://h/db?user=u&password=pw", "postgres://h/db?user=u&password=***")]
    [InlineData("mongodb+srv://u:p%40ss@cluster0.example.net/fleet?retryWrites=true", "mongodb+srv://***@cluster0.example.net/fleet?retryWrites=true")]
    [InlineData("mongodb://u:pw@a:1,b:2/db", "mongodb://***@a:1,b:2/db")]
    [InlineData("postgres://h/db", "postgres://h/db")]
    [InlineData("postgres://u:pa/ss#x@h/db", "postgres://***@h/db")]
    [InlineData("mongodb://h/db?tls=true&tlsCertificateKeyFilePassword=pw", "mongodb://h/db?tls=true&tlsCertificateKeyFilePassword=***")]
    [InlineData("https://user:token@git.example/x.git", "https://***@git.example/x.git")]
    public void Masking_hides_the_user_information(string uri, string masked) => Assert.Equal(masked, RegistryAddress.Mask(uri));
}
