using Microsoft.Data.Sqlite;

namespace CicdOps.Engine.State;

/// <summary>
/// A connection with its commands kept prepared: re-preparing an INSERT costs more than running it. Commands
/// are owned here; callers set parameters and execute, never dispose. A borrowed connection (one some other
/// code opened) is left open on Dispose.
/// </summary>
internal sealed class Statements : IDisposable
{
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RawStatement> _raw = new(StringComparer.Ordinal);
    private readonly bool _ownsConnection;

    public Statements(SqliteConnection connection) : this(connection, ownsConnection: true) { }

    private Statements(SqliteConnection connection, bool ownsConnection)
    {
        Connection = connection;
        _ownsConnection = ownsConnection;
    }

    /// <summary>Wraps a connection that stays the caller's (for code shared with <see cref="Database.Write{T}"/>).</summary>
    public static Statements Borrow(SqliteConnection connection) => new(connection, ownsConnection: false);

    public SqliteConnection Connection { get; }

    /// <summary>The prepared command for <paramref name="sql"/>, parameters cleared and set from <paramref name="args"/>.</summary>
    public SqliteCommand Command(string sql, params (string Name, object? Value)[] args)
    {
        if (!_commands.TryGetValue(sql, out var cmd))
        {
            cmd = Connection.CreateCommand();
            cmd.CommandText = sql;
            _commands[sql] = cmd;
        }
        StatementCache.Bind(cmd, args);
        return cmd;
    }

    /// <summary>The statement for <paramref name="sql"/> (positional parameters), prepared on first use and kept; call Start() before binding.</summary>
    public RawStatement Raw(string sql)
    {
        if (!_raw.TryGetValue(sql, out var s)) _raw[sql] = s = new RawStatement(Connection, sql);
        return s.Start();
    }

    public int Execute(string sql, params (string, object?)[] args) => Command(sql, args).ExecuteNonQuery();

    public object? Scalar(string sql, params (string, object?)[] args) => Command(sql, args).ExecuteScalar() is var v and not DBNull ? v : null;

    public void Dispose()
    {
        // Raw statements are finalized first: a pooled connection must not go back with statements of ours still open.
        foreach (var st in _raw.Values) st.Dispose();
        foreach (var cmd in _commands.Values) cmd.Dispose();
        if (_ownsConnection) Connection.Dispose();
    }
}
