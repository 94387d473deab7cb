using CicdOps.Engine;
using CicdOps.Tests.Support;
using Microsoft.Data.Sqlite;

namespace CicdOps.Tests.Engine;

[Collection(CicdOps.Tests.Support.ProcessEnvironmentCollection.Name)]
public sealed class StateTests
{
    [Fact]
    public void The_database_is_in_WAL_mode_at_the_latest_schema_version_and_private()
    {
        using var h = new EngineHarness();
        var file = Path.Combine(h.DataPath, "cicdops.db");
        using var c = new SqliteConnection($"Data Source={file}");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", cmd.ExecuteScalar());
        cmd.CommandText = "PRAGMA user_version";
        Assert.Equal((long)CicdOps.Engine.State.Schema.LatestVersion, cmd.ExecuteScalar());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(h.DataPath));
    }

    [Fact]
    public void Every_connection_from_the_pool_has_the_engines_settings_also_when_the_pool_hands_back_a_configured_handle()
    {
        using var dir = new TempDirectory("pool-pragmas");
        var db = new CicdOps.Engine.State.Database(dir.Path);
        db.Initialize();
        for (var i = 0; i < 3; i++)
        {
            using var c = db.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA busy_timeout";
            Assert.Equal(30000L, cmd.ExecuteScalar());
            cmd.CommandText = "PRAGMA foreign_keys";
            Assert.Equal(1L, cmd.ExecuteScalar());
            cmd.CommandText = "PRAGMA synchronous";
            Assert.Equal(1L, cmd.ExecuteScalar()); // NORMAL
            cmd.CommandText = "PRAGMA temp_store";
            Assert.Equal(2L, cmd.ExecuteScalar()); // MEMORY
        }
    }

    [Fact]
    public void Reopening_keeps_projects_and_applies_no_version_twice()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        h.Register(repo);

        using var again = CicdEngine.Open(h.Options);

        Assert.Equal("app", again.GetProjects().Single().Name);
    }

    [Fact]
    public void The_data_directory_comes_from_the_explicit_path_then_CICDOPS_HOME()
    {
        Assert.Equal("/srv/x", DataDirectory.Resolve("/srv/x"));
        var old = Environment.GetEnvironmentVariable("CICDOPS_HOME");
        try
        {
            Environment.SetEnvironmentVariable("CICDOPS_HOME", "/srv/from-env");
            Assert.Equal("/srv/from-env", DataDirectory.Resolve(null));
            Assert.Equal("/srv/explicit", DataDirectory.Resolve("/srv/explicit"));
            Environment.SetEnvironmentVariable("CICDOPS_HOME", null);
            Assert.Equal(Environment.UserName == "root" ? "/var/lib/cicdops" : Path.Combine(
                Environment.GetEnvironmentVariable("XDG_DATA_HOME") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share"),
                "cicdops"), DataDirectory.Resolve(null));
        }
        finally { Environment.SetEnvironmentVariable("CICDOPS_HOME", old); }
    }

    [Fact]
    public void An_unwritable_data_directory_is_one_clear_error()
    {
        using var tmp = new TempDirectory();
        var file = tmp.Combine("not-a-dir");
        File.WriteAllText(file, "");
        var e = Assert.Throws<CicdException>(() => CicdEngine.Open(new EngineOptions { DataPath = Path.Combine(file, "data") }));
        Assert.Equal("CicdDataDirectoryUnavailable", e.ErrorId);
    }
}
