using CicdOps.Engine.State;
using Microsoft.Data.Sqlite;

namespace CicdOps.Engine.Webhooks;

/// <summary>
/// Group commit: writes queued while a transaction is running are applied together in the next one, so
/// concurrent deliveries share a commit instead of queueing on SQLite's lock (whose busy handler sleeps).
/// When a batch fails, its writes are retried one transaction each, so one failing write does not fail
/// the others. Callers are completed only after COMMIT, so an acknowledged write is durable.
/// </summary>
internal sealed class WriteBatcher(Database db) : IDisposable
{
    private const int MaxBatch = 512;
    private readonly object _gate = new();
    private List<IWork> _pending = new();
    // True while one thread is committing; only that thread touches _connection.
    private bool _busy;
    private Statements? _connection;

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
                    new Thread(() => Drain(leader: false)) { IsBackground = true, Name = "cicdops-delivery-writer" }.Start();
                    return;
                }
                if (_pending.Count <= MaxBatch) { batch = _pending; _pending = new List<IWork>(); }
                else { batch = _pending.GetRange(0, MaxBatch); _pending.RemoveRange(0, MaxBatch); }
            }
            Commit(batch);
            batchesRun++;
        }
    }

    private void Commit(List<IWork> batch)
    {
        _connection ??= TryOpen(batch);
        if (_connection is null) return;
        if (Execute(_connection, batch, isolate: batch.Count == 1)) return;
        if (batch.Count == 1) { Reset(); return; }
        // Isolate the failing write: the others still commit.
        foreach (var w in batch)
        {
            _connection ??= TryOpen(new List<IWork> { w });
            if (_connection is not null && !Execute(_connection, new List<IWork> { w }, isolate: true)) Reset();
        }
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
            if (!_busy) Reset();
        }
    }

    private Statements? TryOpen(List<IWork> batch)
    {
        try { return new Statements(db.Open()); }
        catch (Exception e)
        {
            foreach (var w in batch) w.Fail(e);
            return null;
        }
    }

    // False when the batch did not commit. With isolate, its writes are failed; otherwise left for a retry.
    private static bool Execute(Statements c, List<IWork> batch, bool isolate)
    {
        try
        {
            Exec(c, "BEGIN IMMEDIATE");
            try
            {
                foreach (var w in batch) w.Run(c);
                Exec(c, "COMMIT");
            }
            catch
            {
                try { Exec(c, "ROLLBACK"); } catch (SqliteException) { /* already rolled back */ }
                throw;
            }
            foreach (var w in batch) w.Publish();
            return true;
        }
        catch (Exception e)
        {
            if (isolate) foreach (var w in batch) w.Fail(e);
            return false;
        }
    }

    private static void Exec(Statements c, string sql) => c.Command(sql).ExecuteNonQuery();

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

/// <summary>
/// The writer's connection with its commands kept prepared: re-preparing an INSERT costs more than
/// running it. Commands are owned here; callers set parameters and execute, never dispose.
/// </summary>
internal sealed class Statements(SqliteConnection connection) : IDisposable
{
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

    public SqliteCommand Command(string sql)
    {
        if (_commands.TryGetValue(sql, out var cmd))
        {
            cmd.Parameters.Clear();
            return cmd;
        }
        cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        _commands[sql] = cmd;
        return cmd;
    }

    public void Dispose()
    {
        foreach (var cmd in _commands.Values) cmd.Dispose();
        connection.Dispose();
    }
}
