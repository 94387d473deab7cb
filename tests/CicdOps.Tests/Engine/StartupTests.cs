using CicdOps.Engine;
using CicdOps.Engine.State;
using Microsoft.Data.Sqlite;
using Xunit;

namespace CicdOps.Tests.Engine;

/// <summary>What a quick command (`cicdops project list`) does at start: nothing that waits for a busy writer.</summary>
public class StartupTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cicdops-startup-").FullName;

    [Fact]
    public void Opening_a_current_database_takes_no_write_lock_so_a_writer_holding_it_does_not_hold_up_the_open()
    {
        using (CicdEngine.Open(new EngineOptions { DataPath = _dir })) { } // creates the database at the latest version
        using var writer = new SqliteConnection($"Data Source={Path.Combine(_dir, Database.FileName)};Pooling=False");
        writer.Open();
        using (var begin = writer.CreateCommand()) { begin.CommandText = "BEGIN IMMEDIATE"; begin.ExecuteNonQuery(); }

        // A hang detector, not a timing assertion: an open that took the write lock would wait out its 30 s busy timeout.
        var open = Task.Run(() =>
        {
            using var engine = CicdEngine.Open(new EngineOptions { DataPath = _dir });
            return engine.GetProjects().Count;
        });
        Assert.True(open.Wait(TimeSpan.FromSeconds(15)), "opening a current database waited for another connection's write transaction");
        Assert.Equal(0, open.Result);
        using (var rollback = writer.CreateCommand()) { rollback.CommandText = "ROLLBACK"; rollback.ExecuteNonQuery(); }
    }

    public void Dispose()
    {
        Directory.Delete(_dir, true);
    }
}
