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
        using var cmd = c.Command(sql, args);
        return cmd.ExecuteNonQuery();
    }

    public static object? Scalar(this SqliteConnection c, string sql, params (string, object?)[] args)
    {
        using var cmd = c.Command(sql, args);
        var v = cmd.ExecuteScalar();
        return v is DBNull ? null : v;
    }

    public static List<T> Query<T>(this SqliteConnection c, string sql, Func<SqliteDataReader, T> map, params (string, object?)[] args)
    {
        using var cmd = c.Command(sql, args);
        using var r = cmd.ExecuteReader();
        var list = new List<T>();
        while (r.Read()) list.Add(map(r));
        return list;
    }

    public static string? Str(this SqliteDataReader r, string col) { var i = r.GetOrdinal(col); return r.IsDBNull(i) ? null : r.GetString(i); }
    public static long? Long(this SqliteDataReader r, string col) { var i = r.GetOrdinal(col); return r.IsDBNull(i) ? null : r.GetInt64(i); }
    public static DateTimeOffset? Time(this SqliteDataReader r, string col) => r.Long(col) is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
    public static T Enum<T>(this SqliteDataReader r, string col) where T : struct, Enum => System.Enum.Parse<T>(r.Str(col)!);

    public static long ToMs(this DateTimeOffset t) => t.ToUnixTimeMilliseconds();
}
