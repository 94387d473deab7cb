using CicdOps.Engine;
using CicdOps.Tests.Support;
using Microsoft.Data.Sqlite;

namespace CicdOps.Tests.Engine;

/// <summary>A damaged state database is an error naming the file and the way back, never a silent empty start.</summary>
public sealed class StateDamageTests
{
    [Fact]
    public void An_emptied_database_is_an_error_naming_the_file_and_nothing_is_recreated()
    {
        using var repo = new TestRepository();
        string data, file;
        using (var h = new EngineHarness())
        {
            repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
            h.Register(repo);
            data = h.DataPath;
            file = Path.Combine(data, "cicdops.db");
            var keep = h.Engine.Backup(Path.Combine(h.Root, "keep.db"));
            SqliteConnection.ClearAllPools();
            // Truncated under the engine's feet (a full disk, a bad restore): the next open must refuse it.
            File.WriteAllBytes(file, Array.Empty<byte>());
            foreach (var f in new[] { file + "-wal", file + "-shm" }) File.Delete(f);

            var e = Assert.Throws<CicdException>(() => CicdEngine.Open(h.Options));
            Assert.Equal("CicdStateUnusable", e.ErrorId);
            Assert.Contains(file, e.Message);
            Assert.Contains("backup", e.Message);
            Assert.Contains("empty", e.Message);
            Assert.DoesNotContain('\n', e.Message);
            Assert.Equal(0, new FileInfo(file).Length);
            // Restored, so the harness's cleanup finds the project (and removes its account).
            File.Copy(keep, file, overwrite: true);
            using var restored = CicdEngine.Open(h.Options);
            Assert.Equal("app", restored.GetProjects().Single().Name);
        }
    }

    [Fact]
    public void A_file_that_is_not_a_database_is_an_error_naming_the_file()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Combine("data");
        using (CicdEngine.Open(new EngineOptions { DataPath = data })) { }
        SqliteConnection.ClearAllPools();
        var file = Path.Combine(data, "cicdops.db");
        File.WriteAllText(file, new string('x', 8192));

        var e = Assert.Throws<CicdException>(() => CicdEngine.Open(new EngineOptions { DataPath = data }));
        Assert.Equal("CicdStateUnusable", e.ErrorId);
        Assert.Contains(file, e.Message);
    }

    [Fact]
    public void Damage_in_the_middle_of_the_file_is_found_by_the_check_the_listener_runs_at_start()
    {
        using var tmp = new TempDirectory();
        var data = tmp.Combine("data");
        var file = Path.Combine(data, "cicdops.db");
        using (var engine = CicdEngine.Open(new EngineOptions { DataPath = data }))
        {
            // Enough rows for pages beyond the header page, then checkpoint them into the main file.
            Fill(file);
            engine.CheckState();
        }
        SqliteConnection.ClearAllPools();
        Corrupt(file);

        using var again = CicdEngine.Open(new EngineOptions { DataPath = data });
        var e = Assert.Throws<CicdException>(() => again.CheckState());
        Assert.Equal("CicdStateUnusable", e.ErrorId);
        Assert.Contains(file, e.Message);
        var options = new CicdOps.Engine.Listener.ListenerOptions { Port = FreePort.Next(), BindAddress = "127.0.0.1", Secret = "s"u8.ToArray() };
        var listen = Assert.ThrowsAsync<CicdException>(() => again.RunListenerAsync(
            options, new CicdOps.Server.KestrelHttpServer(options), _ => { }, CancellationToken.None)).GetAwaiter().GetResult();
        Assert.Equal("CicdStateUnusable", listen.ErrorId);
    }

    [Fact]
    public void A_backup_is_a_new_private_file_with_the_projects_and_a_restore_brings_them_back()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        h.Register(repo);
        h.Engine.SetSecret("app", "TOKEN", "backed-up-value");
        var backup = Path.Combine(h.Root, "backup.db");

        Assert.Equal(backup, h.Engine.Backup(backup));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(backup));
        var again = Assert.Throws<CicdException>(() => h.Engine.Backup(backup));
        Assert.Equal("CicdInvalidPath", again.ErrorId);

        // Restore into a fresh data directory with the same master key: projects and secrets come back.
        var restored = Path.Combine(h.Root, "restored");
        Directory.CreateDirectory(restored);
        File.Copy(backup, Path.Combine(restored, "cicdops.db"));
        File.Copy(Path.Combine(h.DataPath, "master.key"), Path.Combine(restored, "master.key"));
        using var engine = CicdEngine.Open(new EngineOptions { DataPath = restored });
        Assert.Equal("app", engine.GetProjects().Single().Name);
        Assert.Equal("backed-up-value", engine.Context.Secrets.Load("app")["TOKEN"]);
    }

    [Fact]
    public void A_backup_into_a_missing_directory_is_one_clear_error_and_writes_nothing()
    {
        using var h = new EngineHarness();
        var e = Assert.Throws<CicdException>(() => h.Engine.Backup(Path.Combine(h.Root, "no", "such", "dir", "b.db")));
        Assert.Equal("CicdInvalidPath", e.ErrorId);
        Assert.False(Directory.Exists(Path.Combine(h.Root, "no")));
    }

    private static void Fill(string file)
    {
        using var c = new SqliteConnection($"Data Source={file};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
            INSERT INTO webhook_deliveries (provider, delivery_id, event, accepted, signature, outcome, status_code, detail, received_at)
            SELECT 'github', 'fill-' || i, 'push', 1, 'valid', 'ignored', 200, printf('%.200c', 'x'), i FROM n;
            PRAGMA wal_checkpoint(TRUNCATE);
            """;
        cmd.ExecuteNonQuery();
    }

    /// <summary>Overwrites pages in the middle of the file (not the header): SQLite opens it fine, reading it does not.</summary>
    private static void Corrupt(string file)
    {
        var length = new FileInfo(file).Length;
        Assert.True(length > 16 * 4096, $"the database should span many pages, not {length} bytes");
        using var fs = new FileStream(file, FileMode.Open, FileAccess.Write);
        fs.Position = length / 2 / 4096 * 4096;
        var junk = new byte[4096 * 2];
        new Random(7).NextBytes(junk);
        fs.Write(junk);
    }
}
