using CicdOps.Engine.State;
using Microsoft.Data.Sqlite;

namespace CicdOps.Engine.Webhooks;

/// <summary>
/// Group commit: writes queued while a transaction is running are applied together in the next one, so
/// concurrent deliveries share a commit instead of queueing on SQLite's lock (whose busy handler sleeps).
/// Each write runs in its own savepoint, so one failing write is undone alone and does not fail the others.
/// Callers are completed only after COMMIT, so an acknowledged write is durable.
/// </summary>
internal sealed class WriteBatcher(Database db, long maxWalBytes = WalCheckpointer.DefaultMaxWalBytes) : IDisposable
{
    private const int MaxBatch = 512;
    private readonly object _gate = new();
    private List<IWork> _pending = new();
    // True while one thread is committing; only that thread touches _connection.
    private bool _busy;
    private Statements? _connection;
    private readonly WalCheckpointer _checkpointer = new(db, maxWalBytes);
    // The helper that takes over from a leader under load: one long-lived thread woken per hand-off (creating a
    // thread per hand-off cost more than the batches it committed); it ends after HelperIdle without work.
    private static readonly TimeSpan HelperIdle = TimeSpan.FromSeconds(10);
    private Thread? _helper;
    private bool _helperWanted, _disposed;

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
            if (_busy) return work.Completion.Task; // a batch is being committed: join the next one
            _busy = true;
        }
        // Nothing in progress: this caller commits on its own thread (no hand-off when the store is idle).
        // Whatever queued meanwhile goes to a helper thread, so this caller is not held up by others' work.
        Drain(leader: true);
        return work.Completion.Task;
    }

    private void Drain(bool leader)
    {
        var batchesRun = 0;
        while (true)
        {
            List<IWork> batch;
            lock (_gate)
            {
                if (_pending.Count == 0) { _busy = false; return; }
                if (leader && batchesRun > 0)
                {
                    // Hand off: a dedicated thread, not a pool item, because under load the pool's queue is
                    // long and every waiting request would sit behind it on each commit.
                    _helperWanted = true;
                    if (_helper is null)
                    {
                        _helper = new Thread(HelperLoop) { IsBackground = true, Name = "cicdops-delivery-writer" };
                        _helper.Start();
                    }
                    else Monitor.Pulse(_gate);
                    return;
                }
                if (_pending.Count <= MaxBatch) { batch = _pending; _pending = new List<IWork>(); }
                else { batch = _pending.GetRange(0, MaxBatch); _pending.RemoveRange(0, MaxBatch); }
            }
            var t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            Commit(batch);
            Interlocked.Add(ref _busyTicks, System.Diagnostics.Stopwatch.GetTimestamp() - t0);
            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _writes, batch.Count);
            batchesRun++;
        }
    }

    private void HelperLoop()
    {
        while (true)
        {
            lock (_gate)
            {
                while (!_helperWanted)
                {
                    if (_disposed || !Monitor.Wait(_gate, HelperIdle) && !_helperWanted)
                    {
                        _helper = null;
                        return;
                    }
                }
                _helperWanted = false;
            }
            Drain(leader: false);
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
                else
                    for (var i = 0; i < batch.Count; i++) failed[i] = !RunIsolated(_connection, batch[i]);
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
        lock (_gate)
        {
            _disposed = true;
            Monitor.PulseAll(_gate);
            if (!_busy) Reset();
        }
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
