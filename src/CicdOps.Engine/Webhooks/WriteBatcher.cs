using CicdOps.Engine.State;
using Microsoft.Data.Sqlite;

namespace CicdOps.Engine.Webhooks;

/// <summary>
/// Group commit: writes queued while a transaction is running are applied together in the next one, so
/// concurrent deliveries share a commit instead of queueing on SQLite's lock (whose busy handler sleeps).
/// Every commit runs on one dedicated writer thread, which takes everything queued at once: a caller that committed
/// its own write on its request thread (as this did before) left the next ones queued behind it and measured batches
/// of 1.4-3.4 writes per COMMIT against 8-10 on the writer thread, with more CPU per delivery (each COMMIT writes
/// every page its batch dirtied to the WAL: fewer, larger batches write fewer pages per delivery).
/// A batch first runs without savepoints; if one write throws, it is rolled back and run again with each write
/// in its own savepoint, so the failing write is undone alone and does not fail the others.
/// Callers are completed only after COMMIT, so an acknowledged write is durable.
/// </summary>
internal sealed class WriteBatcher(Database db, long maxWalBytes = WalCheckpointer.DefaultMaxWalBytes) : IDisposable
{
    private const int MaxBatch = 512;
    private readonly object _gate = new();
    private List<IWork> _pending = new();
    // True while the writer thread has work; only that thread touches _connection.
    private bool _busy;
    private Statements? _connection;
    private readonly WalCheckpointer _checkpointer = new(db, maxWalBytes);
    // One long-lived thread woken when work arrives (a thread per hand-off cost more than the batches it committed;
    // a pool item would sit behind the request queue under load); it ends after WriterIdle without work.
    private static readonly TimeSpan WriterIdle = TimeSpan.FromSeconds(10);
    private Thread? _writer;
    private bool _disposed;

    /// <summary>Times the writer reset the WAL between group commits.</summary>
    public long WalRestarts => _checkpointer.Restarts;

    /// <summary>Group commits run, writes they carried, and the time spent in them (BEGIN to the acknowledgements), for the benchmark.</summary>
    internal (long Batches, long Writes, TimeSpan Busy) Stats => (Interlocked.Read(ref _batches), Interlocked.Read(ref _writes), TimeSpan.FromTicks(Interlocked.Read(ref _busyTicks) * TimeSpan.TicksPerSecond / System.Diagnostics.Stopwatch.Frequency));
    private long _batches, _writes, _busyTicks;

    /// <summary>The WAL checkpointer of this writer (its counters, for tests and the benchmark).</summary>
    internal WalCheckpointer Checkpointer => _checkpointer;

    public Task<T> Enqueue<T>(Func<Statements, T> write)
    {
        var work = new Work<T>(write);
        lock (_gate)
        {
            _pending.Add(work);
            if (_busy) return work.Completion.Task; // the writer is committing: it takes this in its next batch
            _busy = true;
            if (_writer is null)
            {
                _writer = new Thread(WriterLoop) { IsBackground = true, Name = "cicdops-delivery-writer" };
                _writer.Start();
            }
            else Monitor.Pulse(_gate);
        }
        return work.Completion.Task;
    }

    private void WriterLoop()
    {
        while (true)
        {
            lock (_gate)
            {
                while (!_busy)
                {
                    if (_disposed || !Monitor.Wait(_gate, WriterIdle) && !_busy)
                    {
                        // Idle: the connection stays open for the next writer thread; disposed: nobody commits any more.
                        _writer = null;
                        if (_disposed) Reset();
                        return;
                    }
                }
            }
            Drain();
        }
    }

    /// <summary>Commits batches until nothing is queued (then clears <see cref="_busy"/> under the lock).</summary>
    private void Drain()
    {
        while (true)
        {
            List<IWork> batch;
            lock (_gate)
            {
                if (_pending.Count == 0) { _busy = false; return; }
                if (_pending.Count <= MaxBatch) { batch = _pending; _pending = new List<IWork>(); }
                else { batch = _pending.GetRange(0, MaxBatch); _pending.RemoveRange(0, MaxBatch); }
            }
            var t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            Commit(batch);
            Interlocked.Add(ref _busyTicks, System.Diagnostics.Stopwatch.GetTimestamp() - t0);
            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _writes, batch.Count);
        }
    }

    private void Commit(List<IWork> batch)
    {
        _connection ??= TryOpen(batch);
        if (_connection is null) return;
        var failed = new bool[batch.Count];
        try
        {
            Exec(_connection, "BEGIN IMMEDIATE");
            try
            {
                if (batch.Count == 1)
                {
                    // Alone in its transaction: no savepoint needed, a failure rolls the whole (its own) transaction back.
                    if (!RunAlone(_connection, batch[0])) { failed[0] = true; return; }
                }
                else if (!RunAll(_connection, batch))
                {
                    // One write threw and the batch was rolled back: run it again with each write in its own savepoint.
                    // A write's delegate only writes to this transaction (its results are set again), so running it twice is safe.
                    Exec(_connection, "BEGIN IMMEDIATE");
                    for (var i = 0; i < batch.Count; i++) failed[i] = !RunIsolated(_connection, batch[i]);
                }
                Exec(_connection, "COMMIT");
            }
            catch
            {
                try { Exec(_connection, "ROLLBACK"); } catch (SqliteException) { /* already rolled back */ }
                throw;
            }
        }
        catch (Exception e)
        {
            // The transaction itself failed (disk, lock timeout): nothing of this batch was written.
            for (var i = 0; i < batch.Count; i++) if (!failed[i]) batch[i].Fail(e);
            Reset();
            return;
        }
        _checkpointer.Wrote();
        for (var i = 0; i < batch.Count; i++) if (!failed[i]) batch[i].Publish();
        // After the acknowledgements: resetting a long WAL here costs the next batch a moment, never this one.
        try { _checkpointer.AfterCommit(_connection.Connection); }
        catch (SqliteException) { /* the next commit tries again */ }
    }

    /// <summary>
    /// Runs every write of the batch in the open transaction without savepoints (a savepoint per write copies each page
    /// the write touches into the statement journal). False when one threw: the transaction is then rolled back.
    /// </summary>
    private static bool RunAll(Statements c, List<IWork> batch)
    {
        try
        {
            for (var i = 0; i < batch.Count; i++) batch[i].Run(c);
            return true;
        }
        catch (Exception)
        {
            try { Exec(c, "ROLLBACK"); } catch (SqliteException) { /* SQLite rolled it back already */ }
            return false;
        }
    }

    /// <summary>The only write of its transaction; when it throws, the transaction is rolled back and only it fails.</summary>
    private static bool RunAlone(Statements c, IWork work)
    {
        try
        {
            work.Run(c);
            return true;
        }
        catch (Exception e)
        {
            try { Exec(c, "ROLLBACK"); } catch (SqliteException) { /* SQLite rolled it back already */ }
            work.Fail(e);
            return false;
        }
    }

    /// <summary>
    /// Runs one write inside a savepoint: when it throws, only its own statements are undone and only it fails;
    /// the rest of the batch still commits. False when it failed (already reported to its caller).
    /// </summary>
    private static bool RunIsolated(Statements c, IWork work)
    {
        Exec(c, "SAVEPOINT work");
        try
        {
            work.Run(c);
        }
        catch (Exception e)
        {
            Exec(c, "ROLLBACK TO work");
            Exec(c, "RELEASE work");
            work.Fail(e);
            return false;
        }
        Exec(c, "RELEASE work");
        return true;
    }

    private void Reset()
    {
        _connection?.Dispose();
        _connection = null;
    }

    public void Dispose()
    {
        Thread? writer;
        lock (_gate)
        {
            _disposed = true;
            Monitor.PulseAll(_gate);
            writer = _writer;
            if (writer is null && !_busy) Reset();
        }
        // The writer may still be in its last commit's WAL work (a reset) after acknowledging it: let it finish and
        // close its connection, or the shutdown's TRUNCATE below would find the log busy and leave it unfolded.
        if (writer is not null && writer != Thread.CurrentThread) writer.Join();
        _checkpointer.Dispose();
    }

    private Statements? TryOpen(List<IWork> batch)
    {
        try
        {
            var c = db.Open();
            try { _checkpointer.DisableAutomatic(c); }
            catch { c.Dispose(); throw; }
            return new Statements(c);
        }
        catch (Exception e)
        {
            foreach (var w in batch) w.Fail(e);
            return null;
        }
    }

    /// <summary>
    /// Transaction control straight through SQLite's C API: these statements run several times per delivery and
    /// take no parameters, so the ADO.NET command machinery around them would cost more than they do.
    /// </summary>
    private static void Exec(Statements c, string sql)
    {
        var db = c.Connection.Handle!;
        var rc = SQLitePCL.raw.sqlite3_exec(db, sql);
        SqliteException.ThrowExceptionForRC(rc, db);
    }

    private interface IWork
    {
        void Run(Statements c);
        void Publish();
        void Fail(Exception e);
    }

    private sealed class Work<T>(Func<Statements, T> write) : IWork
    {
        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _result;

        public void Run(Statements c) => _result = write(c);

        public void Publish() => Completion.TrySetResult(_result!);

        public void Fail(Exception e) => Completion.TrySetException(e);
    }
}
