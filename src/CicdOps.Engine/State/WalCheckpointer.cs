using Microsoft.Data.Sqlite;

namespace CicdOps.Engine.State;

/// <summary>
/// Keeps a busy writer's WAL small without making acknowledgements wait for it. SQLite otherwise checkpoints inside
/// whichever COMMIT crosses 1000 pages, and a checkpoint that resets the log (RESTART/TRUNCATE) waits for every reader
/// while holding the write lock: a 64 MB TRUNCATE under load stalled deliveries for up to 1.2 s. So the work is split:
/// <list type="bullet">
/// <item>a background thread runs PASSIVE checkpoints (never blocks the writer) at most every <see cref="Interval"/>
/// after writes, copying the log back into the database;</item>
/// <item>once the log has grown past <see cref="RestartBytes"/> (half the default bound), the writer itself resets it between two group commits
/// (<see cref="AfterCommit"/>): a RESTART that does not wait for anyone (busy timeout 0), so it costs only what the
/// PASSIVE pass has not copied yet; if a reader or the PASSIVE pass is in the way it simply tries after the next commit;</item>
/// <item>once the log reaches <see cref="HardResetBytes"/> (three quarters of the default bound; those resets kept
/// failing or the passes fell behind), the writer resets it <em>before its next group commit</em>, waiting up to
/// <see cref="HardResetWait"/> for the pass and for readers: one stall, so the file never passes the bound (what is
/// left above that line is headroom for the commit that crossed it).
/// A reader that holds its snapshot longer than that wait can still keep the log from being reset; the writer then
/// waits again only after <see cref="HardResetBackoff"/>, so such a reader slows acknowledgements, never stops them;</item>
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
    /// <summary>How long a hard reset waits for the PASSIVE pass and for readers before giving up for now.</summary>
    public static readonly TimeSpan HardResetWait = TimeSpan.FromMilliseconds(500);
    /// <summary>After a hard reset that a reader refused, how long the writer goes on with non-blocking tries only.</summary>
    public static readonly TimeSpan HardResetBackoff = TimeSpan.FromSeconds(1);
    // What a non-blocking reset may have left to copy (~1 MB of 4 KB pages): about a millisecond between two commits.
    private const long ResetCopiesAtMostFrames = 256;
    private readonly AutoResetEvent _wake = new(false);
    private readonly object _gate = new();
    // Held by the PASSIVE pass and by the writer's hard reset: SQLite answers a second checkpoint BUSY at once
    // (without calling the busy handler), so in this process they take turns here instead.
    private readonly object _checkpointLock = new();
    private long _hardBackoffUntil, _softBackoffUntil;
    private const int SoftResetBackoffMs = 25;
    private Thread? _thread;
    private bool _pending, _disposed;
    private volatile bool _restartDue, _kicked;

    /// <summary>The bound on the WAL file under sustained load (a reader that never ends can still hold it longer).</summary>
    public const long DefaultMaxWalBytes = 64L * 1024 * 1024;

    /// <summary>
    /// Past this size the writer resets the log at its next chance; also what the file is cut back to then:
    /// <see cref="Headroom"/> below <see cref="HardResetBytes"/> (32 MB with the default bound; a quarter of a small
    /// bound). Each reset stalls the writer, and every delivery waiting on it, for the copy of the last commits and two
    /// or three fsyncs (WAL, database, the restarted log's header): 4–16 ms on this disk under load. At ~20k
    /// deliveries/s the log grows by ~190 MB/s, so resetting from 16 MB (as until 2026-12-01) meant 12 resets a second
    /// and 5–8% of the writer's time stalled, the largest part of the p99; from 32 MB halves that. Resetting from 4 MB
    /// on (as at first) measured 15–25% fewer deliveries/s under load.
    /// </summary>
    public long RestartBytes => HardResetBytes - Math.Min(HardResetBytes / 2, Headroom(maxWalBytes));

    /// <summary>The bound this checkpointer keeps the WAL file under (while no reader holds an old snapshot longer than <see cref="HardResetWait"/>).</summary>
    public long MaxWalBytes => maxWalBytes;

    /// <summary>
    /// From this size on the writer resets the log before its next commit, waiting if it must: <see cref="Headroom"/>
    /// below the bound (48 MB of 64; half of a small bound). The size is checked before every group commit, and one
    /// commit adds at most <c>MaxBatch</c> deliveries' pages (a few MB), so that is room enough for the commit that crossed
    /// the line.
    /// </summary>
    public long HardResetBytes => Math.Max(maxWalBytes - Headroom(maxWalBytes), 64 * 1024);

    /// <summary>16 MB (~80 ms of writes at full rate), or half of a bound smaller than 32 MB (tests use small ones).</summary>
    private static long Headroom(long bound) => Math.Min(bound / 2, 16L * 1024 * 1024);

    /// <summary>Times the writer reset the log (tests and the benchmark read it), hard resets included.</summary>
    public long Restarts => Interlocked.Read(ref _restarts);
    private long _restarts;

    /// <summary>Times the writer waited to reset the log (it had reached <see cref="HardResetBytes"/>), and the longest wait.</summary>
    public long HardResets => Interlocked.Read(ref _hardResets);
    public TimeSpan LongestHardReset => TimeSpan.FromTicks(Interlocked.Read(ref _longestHardTicks));
    private long _hardResets, _longestHardTicks;

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

    /// <summary>A PASSIVE checkpoint; how many frames of the log it left uncopied (readers or new commits hold them back).</summary>
    private static long Passive(SqliteConnection c)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
        using var r = cmd.ExecuteReader();
        // busy, frames in the log, frames checkpointed
        if (!r.Read()) return long.MaxValue;
        return r.GetInt64(0) != 0 ? long.MaxValue : Math.Max(0, r.GetInt64(1) - r.GetInt64(2));
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
    /// Past <see cref="HardResetBytes"/> resets the log, waiting for it (see the class comment); past
    /// <see cref="RestartBytes"/>, once a PASSIVE pass (nearly) caught up, resets it without waiting. True when it was reset.
    /// </summary>
    public bool AfterCommit(SqliteConnection writer)
    {
        var size = WalBytes();
        if (size >= HardResetBytes && Environment.TickCount64 >= Interlocked.Read(ref _hardBackoffUntil)) return HardReset(writer);
        if (!_restartDue || Environment.TickCount64 < Interlocked.Read(ref _softBackoffUntil))
        {
            // Past the threshold with no pass asked for yet: wake the background thread now rather than at its next
            // interval (at full rate a quarter second of commits is tens of megabytes).
            if (size > RestartBytes && !_kicked)
            {
                _kicked = true;
                lock (_gate) if (!_disposed) _wake.Set();
            }
            return false;
        }
        Interlocked.Increment(ref _softTries);
        // The PASSIVE pass holds the checkpoint lock: SQLite would answer BUSY at once; the next commit tries again.
        if (!Monitor.TryEnter(_checkpointLock))
        {
            Interlocked.Increment(ref _softBusyPass);
            return false;
        }
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            if (RestartWithin(writer, 0)) return true;
            Interlocked.Increment(ref _softBusyReaders);
            // A refused RESTART still copied and synced what it could: do not pay that after every commit while a
            // reader stays; try again a moment later.
            Interlocked.Exchange(ref _softBackoffUntil, Environment.TickCount64 + SoftResetBackoffMs);
            return false;
        }
        finally
        {
            Monitor.Exit(_checkpointLock);
            Interlocked.Add(ref _resetTicks, System.Diagnostics.Stopwatch.GetTimestamp() - started);
        }
    }

    /// <summary>
    /// Time the writer spent resetting the log (non-blocking tries and waited resets): every delivery queued meanwhile
    /// waited for it, so this is what the resets add to the acknowledgements (for the benchmark).
    /// </summary>
    public TimeSpan ResetStall => TimeSpan.FromTicks(Interlocked.Read(ref _resetTicks) * TimeSpan.TicksPerSecond / System.Diagnostics.Stopwatch.Frequency);
    private long _resetTicks;

    /// <summary>Non-blocking resets tried, and how many a running PASSIVE pass or a reader refused (for the benchmark).</summary>
    public (long Tried, long BusyPass, long BusyReaders) SoftResets => (Interlocked.Read(ref _softTries), Interlocked.Read(ref _softBusyPass), Interlocked.Read(ref _softBusyReaders));
    private long _softTries, _softBusyPass, _softBusyReaders;

    private bool HardReset(SqliteConnection writer)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var reset = false;
        if (Monitor.TryEnter(_checkpointLock, HardResetWait))
        {
            try
            {
                var left = HardResetWait - System.Diagnostics.Stopwatch.GetElapsedTime(started);
                // Another process's checkpoint (a CLI command's automatic one) is answered BUSY at once: try again briefly.
                while (!(reset = RestartWithin(writer, (int)Math.Max(1, left.TotalMilliseconds))) &&
                       (left = HardResetWait - System.Diagnostics.Stopwatch.GetElapsedTime(started)) > TimeSpan.Zero)
                    Thread.Sleep(1);
            }
            finally { Monitor.Exit(_checkpointLock); }
        }
        var took = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        Interlocked.Add(ref _resetTicks, System.Diagnostics.Stopwatch.GetTimestamp() - started);
        Interlocked.Increment(ref _hardResets);
        if (took.Ticks > Interlocked.Read(ref _longestHardTicks)) Interlocked.Exchange(ref _longestHardTicks, took.Ticks);
        // A reader held the log past the wait: do not stall every commit for it; non-blocking tries go on meanwhile.
        if (!reset) Interlocked.Exchange(ref _hardBackoffUntil, Environment.TickCount64 + (long)HardResetBackoff.TotalMilliseconds);
        return reset;
    }

    /// <summary>A RESTART checkpoint on the writer's connection, waiting at most <paramref name="busyMs"/> for readers.</summary>
    private bool RestartWithin(SqliteConnection writer, int busyMs)
    {
        var handle = writer.Handle!;
        SQLitePCL.raw.sqlite3_busy_timeout(handle, busyMs);
        try
        {
            var rc = SQLitePCL.raw.sqlite3_wal_checkpoint_v2(handle, "main", SqliteCheckpointRestart, out _, out _);
            // SQLITE_BUSY: a reader still uses the log or a PASSIVE pass is running; the next commit tries again.
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
                        // threshold the writer resets it between two commits (AfterCommit), as soon as a pass has
                        // copied everything, so the reset itself has only the last few commits left to copy.
                        // Past HardResetBytes the writer resets it whatever it costs (it takes turns with this pass).
                        c ??= db.Open();
                        long left;
                        lock (_checkpointLock) left = Passive(c);
                        _kicked = false;
                        behind = left > 0;
                        // Nearly caught up is enough: the writer's reset copies the few frames left itself. Waiting for a
                        // pass that copied everything left the log growing whenever a reader held the last frames back.
                        if (left <= ResetCopiesAtMostFrames && WalBytes() > RestartBytes) _restartDue = true;
                    }
                    else if (!truncated && idle * Interval >= IdleTruncateAfter)
                    {
                        // No writes for a while: nobody waits on the write lock, so the file can go back to 0 bytes.
                        c ??= db.Open();
                        // A short busy timeout: a delivery arriving now waits at most that long for the write lock.
                        lock (_checkpointLock) truncated = TruncateWithin(c, IdleTruncateBusyMs);
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
