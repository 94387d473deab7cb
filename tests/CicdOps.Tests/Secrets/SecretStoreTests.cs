using System.Text;
using CicdOps.Engine;
using CicdOps.Engine.Secrets;
using Microsoft.Data.Sqlite;
using Xunit;

namespace CicdOps.Tests.Secrets;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class SecretStoreTests
{
    private const string Value = "s3cr3t-Value-Ωμέγα-0123456789";

    [Fact]
    public void Set_then_GetAll_round_trips_and_List_shows_names_only()
    {
        using var dir = new TempDataDir();
        dir.AddProject("api");
        using var key = MasterKey.Load(dir.Path);
        var store = new SecretStore(dir.Database, key);

        store.Set("api", "DB_PASSWORD", Value.AsSpan());
        store.Set("api", "TOKEN", Encoding.UTF8.GetBytes("tok-abcdef"));

        var all = store.GetAll("api");
        Assert.Equal(Value, all["DB_PASSWORD"]);
        Assert.Equal("tok-abcdef", all["TOKEN"]);
        var list = store.List("api");
        Assert.Equal(new[] { "DB_PASSWORD", "TOKEN" }, list.Select(s => s.Name));
        Assert.DoesNotContain(Value, string.Join("|", list.Select(s => s.ToString())));
    }

    [Fact]
    public void Set_replaces_value_and_updates_time()
    {
        using var dir = new TempDataDir();
        dir.AddProject("api");
        using var key = MasterKey.Load(dir.Path);
        var clock = new ManualClock(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
        var store = new SecretStore(dir.Database, key, clock);
        store.Set("api", "A_KEY", "one1".AsSpan());
        clock.Now = clock.Now.AddMinutes(5);
        store.Set("api", "A_KEY", "two2".AsSpan());
        Assert.Equal("two2", store.GetAll("api")["A_KEY"]);
        Assert.Equal(clock.Now, Assert.Single(store.List("api")).UpdatedAt);
    }

    [Fact]
    public void Projects_are_isolated_and_Remove_deletes()
    {
        using var dir = new TempDataDir();
        dir.AddProject("a");
        dir.AddProject("b");
        using var key = MasterKey.Load(dir.Path);
        var store = new SecretStore(dir.Database, key);
        store.Set("a", "X_KEY", "value-a".AsSpan());
        Assert.Empty(store.GetAll("b"));
        Assert.Empty(store.List("b"));

        var e = Assert.Throws<CicdException>(() => store.Remove("b", "X_KEY"));
        Assert.Equal(CicdError.SecretNotFound, e.Error);
        store.Remove("a", "X_KEY");
        Assert.Empty(store.GetAll("a"));
    }

    [Fact]
    public void Unknown_project_and_bad_names_change_nothing()
    {
        using var dir = new TempDataDir();
        using var key = MasterKey.Load(dir.Path);
        var store = new SecretStore(dir.Database, key);
        Assert.Equal(CicdError.ProjectNotFound, Assert.Throws<CicdException>(() => store.Set("ghost", "A_KEY", "v1234".AsSpan())).Error);
        dir.AddProject("p");
        Assert.Equal(CicdError.InvalidSecretName, Assert.Throws<CicdException>(() => store.Set("p", "PATH", "v1234".AsSpan())).Error);
        Assert.Equal(CicdError.InvalidSecretName, Assert.Throws<CicdException>(() => store.Set("p", "1X", "v1234".AsSpan())).Error);
        Assert.Equal(CicdError.InvalidProjectName, Assert.Throws<CicdException>(() => store.Set("p\0q", "A_KEY", "v1234".AsSpan())).Error);
        Assert.Equal(CicdError.InvalidArgument, Assert.Throws<CicdException>(() => store.Set("p", "A_KEY", new byte[] { 0x61, 0, 0x62 })).Error);
        Assert.Equal(CicdError.InvalidArgument, Assert.Throws<CicdException>(() => store.Set("p", "A_KEY", new byte[] { 0xff, 0xfe })).Error);
        Assert.Equal(CicdError.InvalidArgument, Assert.Throws<CicdException>(() => store.Set("p", "A_KEY", new byte[SecretStore.MaxValueBytes + 1])).Error);
        Assert.Empty(store.List("p"));
    }

    [Fact]
    public void Unregistering_the_project_through_the_engine_deletes_its_secrets_and_keeps_the_others()
    {
        using var repo = new CicdOps.Tests.Support.TestRepository();
        using var h = new CicdOps.Tests.Support.EngineHarness();
        repo.Write("README", "x").CommitAndPush();
        h.Register(repo, "gone");
        h.Register(repo, "kept");
        h.Engine.SetSecret("gone", "A_KEY", "value-of-gone".AsSpan());
        h.Engine.SetSecret("kept", "A_KEY", "value-of-kept".AsSpan());

        h.Engine.UnregisterProject("gone", removeServiceUser: true);

        Assert.Equal(1L, h.Engine.Context.Db.Read(c =>
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT count(*) FROM secrets";
            return (long)cmd.ExecuteScalar()!;
        }));
        Assert.Equal("value-of-kept", h.Engine.Context.Secrets.Load("kept")["A_KEY"]);
        // A new project of the same name does not inherit them.
        h.Register(repo, "gone");
        Assert.Empty(h.Engine.GetSecrets("gone"));
    }

    [Theory]
    [InlineData("other", "A_KEY")]
    [InlineData("api", "B_KEY")]
    public void Ciphertext_moved_to_another_project_or_name_fails_to_decrypt(string toProject, string toName)
    {
        using var dir = new TempDataDir();
        dir.AddProject("api");
        dir.AddProject("other");
        using var key = MasterKey.Load(dir.Path);
        var store = new SecretStore(dir.Database, key);
        store.Set("api", "A_KEY", Value.AsSpan());
        dir.Database.Write(c =>
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "INSERT INTO secrets (project, name, nonce, ciphertext, tag, updated_at) SELECT $p, $n, nonce, ciphertext, tag, updated_at FROM secrets WHERE project='api' AND name='A_KEY'";
            cmd.Parameters.AddWithValue("$p", toProject);
            cmd.Parameters.AddWithValue("$n", toName);
            cmd.ExecuteNonQuery();
        });
        var e = Assert.Throws<CicdException>(() => store.GetAll(toProject));
        Assert.Equal(CicdError.SecretDecryptionFailed, e.Error);
        Assert.Contains(toProject, e.Message);
        Assert.Contains(toName, e.Message);
        Assert.DoesNotContain(Value, e.ToString());
    }

    [Fact]
    public void Tampered_ciphertext_or_another_key_fails_to_decrypt()
    {
        using var dir = new TempDataDir();
        dir.AddProject("api");
        using (var key = MasterKey.Load(dir.Path))
        {
            var store = new SecretStore(dir.Database, key);
            store.Set("api", "A_KEY", Value.AsSpan());
            dir.Database.Write(c => { using var cmd = c.CreateCommand(); cmd.CommandText = "UPDATE secrets SET ciphertext = zeroblob(length(ciphertext))"; cmd.ExecuteNonQuery(); });
            Assert.Equal(CicdError.SecretDecryptionFailed, Assert.Throws<CicdException>(() => store.GetAll("api")).Error);
            store.Set("api", "A_KEY", Value.AsSpan());
            Assert.Equal(Value, store.GetAll("api")["A_KEY"]);
        }
        var otherKeyFile = Path.Combine(dir.Path, "other.key");
        File.WriteAllBytes(otherKeyFile, System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        File.SetUnixFileMode(otherKeyFile, UnixFileMode.UserRead);
        using var other = MasterKey.Load(dir.Path, otherKeyFile);
        Assert.Equal(CicdError.SecretDecryptionFailed, Assert.Throws<CicdException>(() => new SecretStore(dir.Database, other).GetAll("api")).Error);
    }

    [Fact]
    public void Each_value_gets_a_fresh_nonce()
    {
        using var dir = new TempDataDir();
        dir.AddProject("api");
        using var key = MasterKey.Load(dir.Path);
        var store = new SecretStore(dir.Database, key);
        store.Set("api", "A_KEY", Value.AsSpan());
        store.Set("api", "B_KEY", Value.AsSpan());
        var rows = dir.Database.Read(c =>
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT nonce, ciphertext FROM secrets ORDER BY name";
            using var r = cmd.ExecuteReader();
            var l = new List<(byte[], byte[])>();
            while (r.Read()) l.Add(((byte[])r[0], (byte[])r[1]));
            return l;
        });
        Assert.Equal(12, rows[0].Item1.Length);
        Assert.NotEqual(rows[0].Item1, rows[1].Item1);
        Assert.NotEqual(rows[0].Item2, rows[1].Item2);
    }

    [Fact]
    public void No_secret_in_clear_in_any_file_under_the_data_directory()
    {
        using var dir = new TempDataDir();
        dir.AddProject("api");
        var values = new[] { Value, "AKIAIOSFODNN7EXAMPLE-canary", "correct horse battery staple" };
        using (var key = MasterKey.Load(dir.Path))
        {
            var store = new SecretStore(dir.Database, key);
            for (var i = 0; i < values.Length; i++) store.Set("api", $"S{i}", values[i].AsSpan());
            store.Set("api", "S0", Value.AsSpan()); // a rewrite leaves old pages in the WAL: still ciphertext
            Assert.Equal(Value, store.GetAll("api")["S0"]);
        }
        var files = Directory.GetFiles(dir.Path, "*", SearchOption.AllDirectories);
        Assert.Contains(files, f => f.EndsWith("-wal")); // the WAL was written and is scanned too
        foreach (var file in files)
        {
            var content = File.ReadAllBytes(file);
            foreach (var v in values)
            {
                var raw = Encoding.UTF8.GetBytes(v);
                Assert.True(content.AsSpan().IndexOf(raw) < 0, $"'{v}' in clear in {file}");
                Assert.True(content.AsSpan().IndexOf(Encoding.ASCII.GetBytes(Convert.ToBase64String(raw))) < 0, $"base64 of '{v}' in {file}");
                Assert.True(content.AsSpan().IndexOf(Encoding.Unicode.GetBytes(v)) < 0, $"UTF-16 '{v}' in {file}");
            }
        }
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;
        public override DateTimeOffset GetUtcNow() => Now;
    }
}
