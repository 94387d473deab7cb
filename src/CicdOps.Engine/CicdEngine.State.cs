namespace CicdOps.Engine;

public sealed partial class CicdEngine
{
    /// <summary>The state database's file (cicdops.db in the data directory).</summary>
    public string StateFile => _ctx.Db.FilePath;

    /// <summary>Reads the whole state database (SQLite quick_check); throws CicdStateUnusable naming the file when it is damaged.</summary>
    public void CheckState() => _ctx.Db.QuickCheck();

    /// <summary>
    /// Writes a consistent copy of the state database to <paramref name="path"/>, a new file (0600). Safe while the
    /// listener and deployments run. Secrets in it stay encrypted under master.key, which a restore needs too.
    /// </summary>
    /// <returns>The full path written.</returns>
    public string Backup(string path)
    {
        if (string.IsNullOrWhiteSpace(path) || path.Any(char.IsControl))
            throw new CicdException(CicdError.InvalidPath, $"Invalid backup path '{Validation.Names.Printable(path)}'.", path);
        var full = Path.GetFullPath(path);
        if (File.Exists(full) || Directory.Exists(full))
            throw new CicdException(CicdError.InvalidPath, $"Backup target '{full}' already exists; give a new file name.", full);
        var dir = Path.GetDirectoryName(full);
        if (dir is null || !Directory.Exists(dir))
            throw new CicdException(CicdError.InvalidPath, $"Backup target directory '{dir}' does not exist.", full);
        try { _ctx.Db.BackupTo(full); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            throw new CicdException(CicdError.InvalidPath, $"Cannot write backup '{full}': {e.Message}", full);
        }
        return full;
    }
}
