using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace CicdOps.Engine.State;

/// <summary>
/// One statement prepared once on a connection's handle and run with positional parameters (?1, ?2, ...), for the
/// listener's writer, which runs the same few statements thousands of times a second: Microsoft.Data.Sqlite looks
/// every named parameter up and walks its command machinery at each execution. Owned by <see cref="Statements"/>,
/// which finalizes it before its connection goes back to the pool.
/// </summary>
internal sealed class RawStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _stmt;

    public RawStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle!;
        var rc = raw.sqlite3_prepare_v2(_db, sql, out _stmt);
        SqliteException.ThrowExceptionForRC(rc, _db);
    }

    /// <summary>Ready for a new run: the last run's step state and parameters are cleared.</summary>
    public RawStatement Start()
    {
        raw.sqlite3_reset(_stmt);
        raw.sqlite3_clear_bindings(_stmt);
        return this;
    }

    public RawStatement Bind(int index, string? value)
    {
        var rc = value is null ? raw.sqlite3_bind_null(_stmt, index) : raw.sqlite3_bind_text(_stmt, index, value);
        SqliteException.ThrowExceptionForRC(rc, _db);
        return this;
    }

    public RawStatement Bind(int index, long value)
    {
        SqliteException.ThrowExceptionForRC(raw.sqlite3_bind_int64(_stmt, index, value), _db);
        return this;
    }

    public RawStatement Bind(int index, long? value) => value is { } v ? Bind(index, v) : Bind(index, (string?)null);

    /// <summary>Steps once; true when a row is there to read, false when the statement is done.</summary>
    public bool Step()
    {
        var rc = raw.sqlite3_step(_stmt);
        if (rc == raw.SQLITE_ROW) return true;
        if (rc == raw.SQLITE_DONE) return false;
        // The error is the statement's; reset so it does not stay busy, then report it as Microsoft.Data.Sqlite would.
        raw.sqlite3_reset(_stmt);
        SqliteException.ThrowExceptionForRC(rc, _db);
        return false;
    }

    public long Int64(int column) => raw.sqlite3_column_int64(_stmt, column);

    public string? Text(int column) =>
        raw.sqlite3_column_type(_stmt, column) == raw.SQLITE_NULL ? null : raw.sqlite3_column_text(_stmt, column).utf8_to_string();

    /// <summary>Ends the run (releases the statement's read of the database) without running it again.</summary>
    public void Finish() => raw.sqlite3_reset(_stmt);

    public void Dispose() => _stmt.Dispose();
}
