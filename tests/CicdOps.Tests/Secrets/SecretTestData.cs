using CicdOps.Engine.State;

namespace CicdOps.Tests.Secrets;

/// <summary>A throwaway data directory with an initialized state database.</summary>
internal sealed class TempDataDir : IDisposable
{
    public TempDataDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cicdops-sec-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
        Database = new Database(Path);
        Database.Initialize();
    }

    public string Path { get; }
    public Database Database { get; }

    /// <summary>Secrets reference projects (ON DELETE CASCADE), so tests register minimal rows.</summary>
    public void AddProject(string name) => Database.Write(c =>
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            INSERT INTO projects (name, repository, branch, path, install_timeout_ms, health_timeout_ms, status, created_at, updated_at)
            VALUES ($n, 'file:///dev/null', 'main', '/nonexistent', 1000, 1000, 'Registered', 0, 0)
            """;
        cmd.Parameters.AddWithValue("$n", name);
        cmd.ExecuteNonQuery();
    });

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
