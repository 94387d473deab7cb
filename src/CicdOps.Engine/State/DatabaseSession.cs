using Microsoft.Data.Sqlite;

namespace CicdOps.Engine.State;

/// <summary>
/// One connection held for a run of work on one flow (a deployment's runner, its twenty-odd writes and as many reads),
/// its statements kept prepared (<see cref="StatementCache"/>): the same transactions as <see cref="Database.Write{T}"/>
/// and <see cref="Database.Read{T}"/>, without a pool round trip and a prepare per statement. Calls are serialized: a
/// side task of the runner may read while the runner writes.
/// </summary>
internal sealed class DatabaseSession : IDisposable
{
    private readonly Database _db;
    private readonly SqliteConnection _c;
    private readonly object _gate = new();
    private bool _disposed;

    public DatabaseSession(Database db)
    {
        _db = db;
        _c = db.Open();
        StatementCache.Enable(_c);
    }

    /// <summary>As <see cref="Database.Write{T}"/>: <paramref name="work"/> in a transaction taken up front (BEGIN IMMEDIATE).</summary>
    public T Write<T>(Func<SqliteConnection, T> work)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _db.Guarded(() =>
            {
                _c.Execute("BEGIN IMMEDIATE");
                try
                {
                    var result = work(_c);
                    _c.Execute("COMMIT");
                    return result;
                }
                catch
                {
                    try { _c.Execute("ROLLBACK"); } catch (SqliteException) { /* already rolled back */ }
                    throw;
                }
            });
        }
    }

    public void Write(Action<SqliteConnection> work) => Write(c => { work(c); return 0; });

    public T Read<T>(Func<SqliteConnection, T> work)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _db.Guarded(() => work(_c));
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            // Finalized before the connection goes back to the pool, which would otherwise keep them.
            StatementCache.Disable(_c);
            _c.Dispose();
        }
    }
}
