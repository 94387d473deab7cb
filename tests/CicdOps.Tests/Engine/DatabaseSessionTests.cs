using CicdOps.Engine;
using CicdOps.Engine.State;
using CicdOps.Tests.Support;
using Microsoft.Data.Sqlite;
using Xunit;

namespace CicdOps.Tests.Engine;

/// <summary>A runner's held connection: the same transactions as Database.Write/Read, its statements kept prepared.</summary>
public class DatabaseSessionTests
{
    private static Database NewDatabase(TempDirectory dir)
    {
        var db = new Database(dir.Path);
        db.Initialize();
        return db;
    }

    private const string Insert = "INSERT INTO leases (project, owner, expires_at) VALUES ($p, $o, $e)";
    private static long Count(Database db) => db.Read(c => (long)c.Scalar("SELECT count(*) FROM leases")!);

    [Fact]
    public void Writes_commit_for_every_connection_and_a_failed_one_leaves_nothing_and_the_session_usable()
    {
        using var dir = new TempDirectory("session");
        var db = NewDatabase(dir);
        using var s = new DatabaseSession(db);

        s.Write(c => c.Execute(Insert, ("$p", "a"), ("$o", "me"), ("$e", 1L)));
        Assert.Equal(1, Count(db)); // another connection sees it: committed

        Assert.Throws<InvalidOperationException>(() => s.Write<int>(c =>
        {
            c.Execute(Insert, ("$p", "b"), ("$o", "me"), ("$e", 1L));
            throw new InvalidOperationException("the work failed after a write");
        }));
        Assert.Equal(1, Count(db)); // rolled back
        Assert.ThrowsAny<SqliteException>(() => s.Write(c => c.Execute(Insert, ("$p", "a"), ("$o", "me"), ("$e", 1L)))); // duplicate key

        s.Write(c => c.Execute(Insert, ("$p", "c"), ("$o", "me"), ("$e", 2L)));
        Assert.Equal(2, Count(db));
        Assert.Equal(2L, s.Read(c => (long)c.Scalar("SELECT expires_at FROM leases WHERE project = $p", ("$p", "c"))!));
    }

    [Fact]
    public void A_sessions_connection_keeps_one_prepared_command_per_statement_and_a_pooled_one_keeps_none()
    {
        using var dir = new TempDirectory("session-cache");
        var db = NewDatabase(dir);
        using var s = new DatabaseSession(db);
        var kept = new List<SqliteCommand?>();
        for (var i = 0; i < 3; i++)
            s.Write(c =>
            {
                c.Execute(Insert, ("$p", "p" + i), ("$o", "me"), ("$e", (long)i));
                kept.Add(StatementCache.Get(c, Insert));
            });
        Assert.NotNull(kept[0]);
        Assert.All(kept, k => Assert.Same(kept[0], k));

        using var pooled = db.Open();
        Assert.Null(StatementCache.Get(pooled, Insert));
    }

    [Fact]
    public void Between_calls_a_session_holds_no_read_snapshot_so_a_full_checkpoint_completes_and_after_dispose_it_refuses_calls()
    {
        using var dir = new TempDirectory("session-close");
        var db = NewDatabase(dir);
        var s = new DatabaseSession(db);
        s.Write(c => c.Execute(Insert, ("$p", "a"), ("$o", "me"), ("$e", 1L)));
        Assert.Equal(new[] { "a" }, s.Read(c => c.Query("SELECT project FROM leases", r => r.GetString(0))));
        Assert.Equal(1L, s.Read(c => (long)c.Scalar("SELECT count(*) FROM leases")!));

        // A kept statement left stepping would pin the log: TRUNCATE would then report busy (first column 1).
        Assert.Equal(0L, db.Read(c => c.Query("PRAGMA wal_checkpoint(TRUNCATE)", r => r.GetInt64(0)).Single()));

        s.Dispose();
        Assert.Throws<ObjectDisposedException>(() => s.Read(c => 0));
    }
}

public class ChangeSignalTests
{
    [Fact]
    public void A_progress_pulse_wakes_progress_waiters_only_and_a_full_pulse_wakes_both()
    {
        var signal = new ChangeSignal();
        var progress = signal.Next;
        var status = signal.NextStatus;

        signal.PulseProgress();
        Assert.True(progress.Wait(TimeSpan.FromSeconds(5)));
        Assert.False(status.IsCompleted);

        var progressAgain = signal.Next;
        signal.Pulse();
        Assert.True(status.Wait(TimeSpan.FromSeconds(5)));
        Assert.True(progressAgain.Wait(TimeSpan.FromSeconds(5)));
    }
}
