using System.Runtime.CompilerServices;
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

    /// <summary>
    /// Creates the database when there is none, or checks the one there and applies every schema version not yet
    /// applied, in order. An existing file that is empty (0 bytes, or no CicdOps state), is not a database or is
    /// corrupt is an error naming the file: starting over silently would make every project vanish.
    /// </summary>
    public void Initialize()
    {
        if (!File.Exists(FilePath)) CreateNew();
        Guarded(() =>
        {
            using var c = Open();
            // Current already (every open but the first after an upgrade): nothing to write, so no write lock is
            // taken, and a quick command never waits for a busy listener's group commit just to start.
            if (StateIntegrity.CheckOpened(c, FilePath) == Schema.LatestVersion) return 0;
            using (var wal = c.CreateCommand())
            {
                wal.CommandText = "PRAGMA journal_mode=WAL;";
                wal.ExecuteNonQuery();
            }
            Schema.Upgrade(c);
            return 0;
        });
    }

    /// <summary>
    /// A new database is built complete (0600, WAL, every schema version) in a private file, then linked into place
    /// without replacing a racer's: so a 0-byte or schema-less cicdops.db is never a normal state, always damage.
    /// </summary>
    private void CreateNew()
    {
        var dir = Path.GetDirectoryName(FilePath)!;
        var tmp = Path.Combine(dir, $".{FileName}.{Environment.ProcessId}.{Guid.NewGuid():N}.new");
        try
        {
            CreateRestricted(tmp);
            using (var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = tmp, Pooling = false }.ToString()))
            {
                c.Open();
                using (var wal = c.CreateCommand())
                {
                    wal.CommandText = "PRAGMA journal_mode=WAL;";
                    wal.ExecuteNonQuery();
                }
                Schema.Upgrade(c);
            }
            if (OperatingSystem.IsWindows()) { if (!File.Exists(FilePath)) File.Move(tmp, FilePath); }
            else Processes.Posix.LinkUnlessExists(tmp, FilePath);
        }
        finally
        {
            foreach (var f in new[] { tmp, tmp + "-wal", tmp + "-shm" }) File.Delete(f);
        }
    }

    /// <summary>Runs SQLite's quick_check over the whole file (cost grows with its size: once per long-lived process).</summary>
    public void QuickCheck() => Guarded(() => { using var c = Open(); StateIntegrity.QuickCheck(c, FilePath); return 0; });

    /// <summary>
    /// Copies the database, consistent at one instant, to a new file <paramref name="target"/> (0600) with
    /// VACUUM INTO; checked first, and the copy checked after.
    /// </summary>
    public void BackupTo(string target) => Guarded(() =>
    {
        using var c = Open();
        StateIntegrity.QuickCheck(c, FilePath);
        using (var _ = new FileStream(target, new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.Write,
            UnixCreateMode = OperatingSystem.IsWindows() ? null : UnixFileMode.UserRead | UnixFileMode.UserWrite,
        })) { }
        try
        {
            using (var vacuum = c.CreateCommand())
            {
                vacuum.CommandText = "VACUUM INTO $target";
                vacuum.Parameters.AddWithValue("$target", target);
                vacuum.ExecuteNonQuery();
            }
            using var copy = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = target, Pooling = false, Mode = SqliteOpenMode.ReadOnly }.ToString());
            copy.Open();
            StateIntegrity.QuickCheck(copy, target);
        }
        catch
        {
            File.Delete(target);
            throw;
        }
        return 0;
    });

    /// <summary>SQLite's "corrupt" and "not a database" become one error naming the file and the way back.</summary>
    internal T Guarded<T>(Func<T> work)
    {
        try { return work(); }
        catch (SqliteException e) when (StateIntegrity.IsDamage(e)) { throw StateIntegrity.Damaged(FilePath, e.Message, e); }
    }

    /// <summary>
    /// Creates a file 0600 before SQLite opens it: SQLite gives -wal and -shm the database's
    /// mode, so state is never readable by other accounts, not even for a moment.
    /// </summary>
    private static void CreateRestricted(string path)
    {
        if (OperatingSystem.IsWindows()) return;
        using var _ = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
    }

    // Handles the pool has configured already: it keeps a handle open between uses, and these pragmas are the handle's
    // own state, so they run once per handle, not at each of the forty-odd opens of a deploy.
    private static readonly ConditionalWeakTable<SQLitePCL.sqlite3, object> Configured = new();

    public SqliteConnection Open()
    {
        var c = new SqliteConnection(_connectionString);
        c.Open();
        if (Configured.TryGetValue(c.Handle!, out _)) return c;
        Configure(c);
        Configured.AddOrUpdate(c.Handle!, Configured);
        return c;
    }

    private static void Configure(SqliteConnection c)
    {
        using var cmd = c.CreateCommand();
        // busy_timeout makes a second process wait for the writer instead of failing with SQLITE_BUSY.
        // temp_store=MEMORY: statement journals (multi-row writes inside a savepoint) would otherwise be temp files,
        // created and unlinked for every such statement.
        cmd.CommandText = "PRAGMA busy_timeout=30000; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY;";
        cmd.ExecuteNonQuery();
    }

    /// <summary>
    /// Runs <paramref name="work"/> in a write transaction taken up front (BEGIN IMMEDIATE), so
    /// read-then-write sequences between processes cannot interleave.
    /// </summary>
    public T Write<T>(Func<SqliteConnection, T> work) => Guarded(() => WriteUnguarded(work));

    private T WriteUnguarded<T>(Func<SqliteConnection, T> work)
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

    public T Read<T>(Func<SqliteConnection, T> work) => Guarded(() =>
    {
        using var c = Open();
        return work(c);
    });
}
