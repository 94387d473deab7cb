using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace CicdOps.Engine.State;

/// <summary>
/// Commands kept prepared on a connection that stays open for a while (a deployment's <see cref="DatabaseSession"/>):
/// Microsoft.Data.Sqlite prepares the SQL of every new command, and closing a connection finalizes its statements,
/// so the store's one-command-per-call helpers prepared each statement again at each call — more than running the
/// small writes a deploy makes. Only connections that asked for it keep commands (see <see cref="SqlExtensions"/>).
/// </summary>
internal static class StatementCache
{
    private static readonly ConditionalWeakTable<SqliteConnection, Dictionary<string, SqliteCommand>> Kept = new();

    public static void Enable(SqliteConnection c) => Kept.AddOrUpdate(c, new Dictionary<string, SqliteCommand>(StringComparer.Ordinal));

    /// <summary>Disposes the kept commands (before the connection goes back to the pool).</summary>
    public static void Disable(SqliteConnection c)
    {
        if (!Kept.TryGetValue(c, out var commands)) return;
        Kept.Remove(c);
        foreach (var cmd in commands.Values) cmd.Dispose();
    }

    /// <summary>The kept command for <paramref name="sql"/> (made on first use), or null when <paramref name="c"/> keeps none.</summary>
    public static SqliteCommand? Get(SqliteConnection c, string sql)
    {
        if (!Kept.TryGetValue(c, out var commands)) return null;
        if (!commands.TryGetValue(sql, out var cmd))
        {
            cmd = c.CreateCommand();
            cmd.CommandText = sql;
            commands[sql] = cmd;
        }
        return cmd;
    }

    /// <summary>Sets the command's parameters: new values for the same names (the usual case), else new parameters.</summary>
    public static void Bind(SqliteCommand cmd, (string Name, object? Value)[] args)
    {
        var same = cmd.Parameters.Count == args.Length;
        for (var i = 0; same && i < args.Length; i++) same = string.Equals(cmd.Parameters[i].ParameterName, args[i].Name, StringComparison.Ordinal);
        if (same)
        {
            for (var i = 0; i < args.Length; i++) cmd.Parameters[i].Value = args[i].Value ?? DBNull.Value;
            return;
        }
        cmd.Parameters.Clear();
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
    }
}
