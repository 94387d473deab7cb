using Microsoft.Data.Sqlite;

namespace CicdOps.Engine.State;

/// <summary>
/// Opens connections to the state database. SQLite connections are not thread-safe, so callers open one
/// per unit of work and dispose it; pooling keeps that cheap. WAL lets readers run beside the one writer.
/// </summary>
internal sealed class Database
{
    public const string FileName = "cicdops.db";
    private readonly string _connectionString;

    public Database(string dataPath)
    {
        FilePath = Path.Combine(dataPath, FileName);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string FilePath { get; }

    /// <summary>
    /// Closes this database's idle pooled connections. An engine opened later on the same path must reach the
    /// file that is there then, not a pooled handle to one deleted in between (a data directory made again).
    /// </summary>
    public void ReleasePooledConnections()
    {
        using var c = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(c);
    }

    /// <summary>Creates the file if needed and applies every schema version not yet applied, in order.</summary>
    public void Initialize()
    {
        CreateRestricted(FilePath);
        using var c = Open();
        using (var wal = c.CreateCommand())
        {
            wal.CommandText = "PRAGMA journal_mode=WAL;";
            wal.ExecuteNonQuery();
        }
        Schema.Upgrade(c);
    }

    /// <summary>
    /// Creates the database file 0600 before SQLite opens it: SQLite gives -wal and -shm the database's
    /// mode, so state is never readable by other accounts, not even for a moment.
    /// </summary>
    private static void CreateRestricted(string path)
    {
        if (File.Exists(path) || OperatingSystem.IsWindows()) return;
        try
        {
            using var _ = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
        }
        catch (IOException) when (File.Exists(path)) { /* another process created it first */ }
    }

    public SqliteConnection Open()
    {
        var c = new SqliteConnection(_connectionString);
        c.Open();
        using var cmd = c.CreateCommand();
        // busy_timeout makes a second process wait for the writer instead of failing with SQLITE_BUSY.
        // temp_store=MEMORY: statement journals (multi-row writes inside a savepoint) would otherwise be temp files,
        // created and unlinked for every such statement.
        cmd.CommandText = "PRAGMA busy_timeout=30000; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY;";
        cmd.ExecuteNonQuery();
        return c;
    }

    /// <summary>
    /// Runs <paramref name="work"/> in a write transaction taken up front (BEGIN IMMEDIATE), so
    /// read-then-write sequences between processes cannot interleave.
    /// </summary>
    public T Write<T>(Func<SqliteConnection, T> work)
    {
        using var c = Open();
        using (var begin = c.CreateCommand()) { begin.CommandText = "BEGIN IMMEDIATE"; begin.ExecuteNonQuery(); }
        try
        {
            var result = work(c);
            using var commit = c.CreateCommand();
            commit.CommandText = "COMMIT";
            commit.ExecuteNonQuery();
            return result;
        }
        catch
        {
            using var rollback = c.CreateCommand();
            rollback.CommandText = "ROLLBACK";
            try { rollback.ExecuteNonQuery(); } catch (SqliteException) { /* already rolled back */ }
            throw;
        }
    }

    public void Write(Action<SqliteConnection> work) => Write(c => { work(c); return 0; });

    public T Read<T>(Func<SqliteConnection, T> work)
    {
        using var c = Open();
        return work(c);
    }
}
