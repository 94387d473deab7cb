using Microsoft.Data.Sqlite;

namespace CicdOps.Engine.State;

/// <summary>Small helpers so store code reads as SQL plus names, not as parameter plumbing.</summary>
internal static class SqlExtensions
{
    public static SqliteCommand Command(this SqliteConnection c, string sql, params (string Name, object? Value)[] args)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return cmd;
    }

    public static int Execute(this SqliteConnection c, string sql, params (string, object?)[] args)
    {
        var cmd = c.Prepared(sql, args, out var kept);
        try { return cmd.ExecuteNonQuery(); }
        finally { if (!kept) cmd.Dispose(); }
    }

    public static object? Scalar(this SqliteConnection c, string sql, params (string, object?)[] args)
    {
        var cmd = c.Prepared(sql, args, out var kept);
        try
        {
            var v = cmd.ExecuteScalar();
            return v is DBNull ? null : v;
        }
        finally { if (!kept) cmd.Dispose(); }
    }

    public static List<T> Query<T>(this SqliteConnection c, string sql, Func<SqliteDataReader, T> map, params (string, object?)[] args)
    {
        var cmd = c.Prepared(sql, args, out var kept);
        try
        {
            using var r = cmd.ExecuteReader();
            var list = new List<T>();
            while (r.Read()) list.Add(map(r));
            return list;
        }
        finally { if (!kept) cmd.Dispose(); }
    }

    /// <summary>The connection's kept command for <paramref name="sql"/> when it keeps them (<see cref="StatementCache"/>), else a new one.</summary>
    private static SqliteCommand Prepared(this SqliteConnection c, string sql, (string Name, object? Value)[] args, out bool kept)
    {
        var cached = StatementCache.Get(c, sql);
        kept = cached is not null;
        if (cached is null) return c.Command(sql, args);
        StatementCache.Bind(cached, args);
        return cached;
    }

    public static string? Str(this SqliteDataReader r, string col) { var i = r.GetOrdinal(col); return r.IsDBNull(i) ? null : r.GetString(i); }
    public static long? Long(this SqliteDataReader r, string col) { var i = r.GetOrdinal(col); return r.IsDBNull(i) ? null : r.GetInt64(i); }
    public static DateTimeOffset? Time(this SqliteDataReader r, string col) => r.Long(col) is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
    public static T Enum<T>(this SqliteDataReader r, string col) where T : struct, Enum => System.Enum.Parse<T>(r.Str(col)!);

    public static long ToMs(this DateTimeOffset t) => t.ToUnixTimeMilliseconds();
}
