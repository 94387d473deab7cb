using Microsoft.Data.Sqlite;

namespace CicdOps.Engine.State;

/// <summary>
/// Moves a busy writer's WAL back into the database file from a background thread. SQLite otherwise checkpoints
/// inside whichever COMMIT crosses 1000 pages, with two fsyncs, and every delivery waiting on that commit waits
/// for them too. The writer turns its automatic checkpoint off (<see cref="DisableAutomatic"/>) and calls
/// <see cref="Wrote"/> after each commit; at most every <see cref="Interval"/> a PASSIVE checkpoint (which
/// never blocks the writer) copies what was written.
/// </summary>
internal sealed class WalCheckpointer(Database db, long maxWalBytes = WalCheckpointer.DefaultMaxWalBytes) : IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan IdleExit = TimeSpan.FromSeconds(10);
    private readonly AutoResetEvent _wake = new(false);
    private readonly object _gate = new();
    private Thread? _thread;
    private bool _pending, _disposed;

    /// <summary>The WAL size past which the checkpoint truncates it, whatever it costs the writer for a moment.</summary>
    public const long DefaultMaxWalBytes = 64L * 1024 * 1024;

    public void DisableAutomatic(SqliteConnection c)
    {
        using var cmd = c.CreateCommand();
        // journal_size_limit: whenever the log restarts, SQLite truncates the file to this size instead of leaving it at its peak.
        cmd.CommandText = $"PRAGMA wal_autocheckpoint=0; PRAGMA journal_size_limit={maxWalBytes}";
        cmd.ExecuteNonQuery();
    }

    private long WalBytes()
    {
        try { return new FileInfo(db.FilePath + "-wal").Length; }
        catch (IOException) { return 0; }
    }

    /// <summary>Folds the whole WAL back into the database and truncates it (clean shutdown); best effort.</summary>
    public void Truncate()
    {
        try
        {
            using var c = db.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            cmd.ExecuteNonQuery();
        }
        catch (Exception) { /* another process holds it: it checkpoints later */ }
    }

    /// <summary>Something was committed: checkpoint it soon.</summary>
    public void Wrote()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _pending = true;
            _thread ??= StartThread();
        }
    }

    private Thread StartThread()
    {
        var t = new Thread(Run) { IsBackground = true, Name = "cicdops-checkpoint" };
        t.Start();
        return t;
    }

    private void Run()
    {
        SqliteConnection? c = null;
        var idle = 0;
        try
        {
            while (true)
            {
                _wake.WaitOne(Interval);
                lock (_gate)
                {
                    if (_disposed) return;
                    if (!_pending)
                    {
                        // Quiet for a while: end the thread (and its connection); the next write starts another.
                        if (++idle * Interval >= IdleExit) { _thread = null; return; }
                        continue;
                    }
                    _pending = false;
                    idle = 0;
                }
                try
                {
                    c ??= db.Open();
                    using var cmd = c.CreateCommand();
                    // PASSIVE never waits, so under sustained load (a reader always somewhere in the log) the WAL
                    // can only grow. Past the size limit a TRUNCATE checkpoint waits for readers and writer
                    // (busy timeout) and resets the file to zero: the WAL stays bounded.
                    cmd.CommandText = WalBytes() > maxWalBytes ? "PRAGMA wal_checkpoint(TRUNCATE)" : "PRAGMA wal_checkpoint(PASSIVE)";
                    cmd.ExecuteNonQuery();
                }
                catch (Exception)
                {
                    // Busy or failing now: the next write asks again, and SQLite copes with a longer WAL meanwhile.
                    c?.Dispose();
                    c = null;
                }
            }
        }
        finally
        {
            c?.Dispose();
        }
    }

    /// <summary>Stops the thread and folds the WAL back into the database, leaving it empty (clean shutdown).</summary>
    public void Dispose()
    {
        Thread? t;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            t = _thread;
        }
        _wake.Set();
        t?.Join();
        _wake.Dispose();
        Truncate();
    }
}
