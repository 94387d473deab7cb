using Microsoft.Data.Sqlite;

namespace CicdOps.Engine.State;

/// <summary>
/// Keeps a busy writer's WAL small without making acknowledgements wait for it. SQLite otherwise checkpoints inside
/// whichever COMMIT crosses 1000 pages, and a checkpoint that resets the log (RESTART/TRUNCATE) waits for every reader
/// while holding the write lock: a 64 MB TRUNCATE under load stalled deliveries for up to 1.2 s. So the work is split:
/// <list type="bullet">
/// <item>a background thread runs PASSIVE checkpoints (never blocks the writer) at most every <see cref="Interval"/>
/// after writes, copying the log back into the database;</item>
/// <item>once the log has grown past a quarter of the bound, the writer itself resets it between two group commits
/// (<see cref="RestartIfDue"/>): a RESTART that does not wait for anyone (busy timeout 0), so it costs only what the
/// PASSIVE pass has not copied yet; if a reader or the PASSIVE pass is in the way it simply tries after the next commit;</item>
/// <item>TRUNCATE (the file back to 0 bytes) only when writes have stopped for <see cref="IdleTruncateAfter"/>, and on
/// a clean shutdown.</item>
/// </list>
/// </summary>
internal sealed class WalCheckpointer(Database db, long maxWalBytes = WalCheckpointer.DefaultMaxWalBytes) : IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan BehindInterval = TimeSpan.FromMilliseconds(20);
    /// <summary>Quiet this long after the last write: the log is folded back and truncated to 0 bytes.</summary>
    public static readonly TimeSpan IdleTruncateAfter = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan IdleExit = TimeSpan.FromSeconds(10);
    private const int SqliteCheckpointRestart = 2;
    private const int WriterBusyTimeoutMs = 30_000;
    private const int IdleTruncateBusyMs = 20;
    private readonly AutoResetEvent _wake = new(false);
    private readonly object _gate = new();
    private Thread? _thread;
    private bool _pending, _disposed;
    private volatile bool _restartDue;

    /// <summary>The bound on the WAL file under sustained load (a reader that never ends can still hold it longer).</summary>
    public const long DefaultMaxWalBytes = 64L * 1024 * 1024;

    /// <summary>
    /// Past this size the writer resets the log at its next chance; also what the file is cut back to then. Small (at most
    /// 4 MB): a log that is reset often is rewritten in the page cache instead of growing the file block by block.
    /// </summary>
    public long RestartBytes { get; } = Math.Clamp(maxWalBytes / 4, 64 * 1024, 4 * 1024 * 1024);

    /// <summary>Times the writer reset the log (tests and the benchmark read it).</summary>
    public long Restarts => Interlocked.Read(ref _restarts);
    private long _restarts;

    public void DisableAutomatic(SqliteConnection c)
    {
        using var cmd = c.CreateCommand();
        // journal_size_limit: whenever the log restarts, SQLite truncates the file to this size instead of leaving it at its peak.
        cmd.CommandText = $"PRAGMA wal_autocheckpoint=0; PRAGMA journal_size_limit={RestartBytes}";
        cmd.ExecuteNonQuery();
    }

    private long WalBytes()
    {
        try { return new FileInfo(db.FilePath + "-wal").Length; }
        catch (IOException) { return 0; }
    }

    /// <summary>Folds the whole WAL back into the database and truncates it (idle, clean shutdown); best effort.</summary>
    public void Truncate()
    {
        try
        {
            using var c = db.Open();
            Truncate(c);
        }
        catch (Exception) { /* another process holds it: it checkpoints later */ }
    }

    private static void Truncate(SqliteConnection c)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
        cmd.ExecuteNonQuery();
    }

    /// <summary>A PASSIVE checkpoint; true when it copied every frame the log held when it began.</summary>
    private static bool Passive(SqliteConnection c)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
        using var r = cmd.ExecuteReader();
        // busy, frames in the log, frames checkpointed
        return r.Read() && r.GetInt64(0) == 0 && r.GetInt64(2) >= r.GetInt64(1);
    }

    /// <summary>TRUNCATE waiting at most <paramref name="busyMs"/> for readers and writer; true when the log was reset.</summary>
    private static bool TruncateWithin(SqliteConnection c, int busyMs)
    {
        var handle = c.Handle!;
        SQLitePCL.raw.sqlite3_busy_timeout(handle, busyMs);
        try
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            using var r = cmd.ExecuteReader();
            return r.Read() && r.GetInt64(0) == 0; // the first column is 1 when it could not finish (busy)
        }
        finally
        {
            SQLitePCL.raw.sqlite3_busy_timeout(handle, WriterBusyTimeoutMs);
        }
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

    /// <summary>
    /// Called by the writer between group commits, outside any transaction, after the last batch was acknowledged.
    /// When the log is past <see cref="RestartBytes"/>, resets it without waiting: true when it was reset.
    /// </summary>
    public bool RestartIfDue(SqliteConnection writer)
    {
        if (!_restartDue) return false;
        var handle = writer.Handle!;
        SQLitePCL.raw.sqlite3_busy_timeout(handle, 0);
        try
        {
            var rc = SQLitePCL.raw.sqlite3_wal_checkpoint_v2(handle, "main", SqliteCheckpointRestart, out _, out _);
            // SQLITE_BUSY: a reader still uses the log or the PASSIVE pass is running; the next commit tries again.
            if (rc != SQLitePCL.raw.SQLITE_OK) return false;
            _restartDue = false;
            Interlocked.Increment(ref _restarts);
            return true;
        }
        finally
        {
            SQLitePCL.raw.sqlite3_busy_timeout(handle, WriterBusyTimeoutMs);
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
        var truncated = false;
        var behind = false;
        try
        {
            while (true)
            {
                // Behind (the last pass did not copy everything): the next pass starts soon, not after a full pause
                // (a short one still, so a reader holding the log back does not make this loop spin).
                _wake.WaitOne(behind ? BehindInterval : Interval);
                bool pass;
                lock (_gate)
                {
                    if (_disposed) return;
                    pass = _pending || behind;
                    _pending = false;
                    if (pass) (idle, truncated) = (0, false);
                    // Quiet for a while: end the thread (and its connection); the next write starts another.
                    else if (++idle * Interval >= IdleExit) { _thread = null; return; }
                }
                try
                {
                    if (pass)
                    {
                        // PASSIVE copies but never resets: under sustained load the file only grows. Past the
                        // threshold the writer resets it between two commits (RestartIfDue), as soon as a pass has
                        // copied everything, so the reset itself has only the last few commits left to copy.
                        // Past the bound itself (the passes could not keep up: a starved machine) no pass runs, so
                        // the writer's reset is not refused for the checkpoint lock; it copies the rest itself.
                        if (WalBytes() > maxWalBytes)
                        {
                            (_restartDue, behind) = (true, false);
                            continue;
                        }
                        c ??= db.Open();
                        var caughtUp = Passive(c);
                        behind = !caughtUp;
                        if (caughtUp && WalBytes() > RestartBytes) _restartDue = true;
                    }
                    else if (!truncated && idle * Interval >= IdleTruncateAfter)
                    {
                        // No writes for a while: nobody waits on the write lock, so the file can go back to 0 bytes.
                        c ??= db.Open();
                        // A short busy timeout: a delivery arriving now waits at most that long for the write lock.
                        truncated = TruncateWithin(c, IdleTruncateBusyMs);
                        if (truncated) _restartDue = false;
                    }
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
