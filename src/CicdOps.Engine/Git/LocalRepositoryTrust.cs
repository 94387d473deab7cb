namespace CicdOps.Engine.Git;

/// <summary>
/// git refuses to serve a local repository (file:// or a path) owned by another account ("dubious
/// ownership"), and git's local transport drops -c and GIT_CONFIG_* settings before starting upload-pack.
/// So when a project running as its own account fetches from a local repository, the engine trusts exactly
/// that repository in a small root-owned global config file (GIT_CONFIG_GLOBAL), readable but not writable
/// by the account, removed when the deployment ends. Remote URLs need nothing and get nothing.
/// </summary>
internal sealed class LocalRepositoryTrust : IDisposable
{
    private LocalRepositoryTrust(string file) { FilePath = file; }

    public string FilePath { get; }

    /// <summary>A trust file for <paramref name="repository"/>, or null when it is not local.</summary>
    public static LocalRepositoryTrust? For(string repository)
    {
        var path = LocalPath(repository);
        if (path is null || path.Any(ch => char.IsControl(ch))) return null;
        // The sweep of what killed processes left runs once per process, here rather than at every engine open: it
        // lists the whole temp directory, which `cicdops project list` and other quick commands should not pay for.
        if (Interlocked.Exchange(ref _swept, 1) == 0) RemoveStale();
        var dirs = new List<string> { path };
        if (Path.GetFileName(path) == ".git") dirs.Add(Path.GetDirectoryName(path)!);
        // The pid in the name lets a later engine start remove what a killed process left (RemoveStale).
        var file = Path.Combine(Path.GetTempPath(), $"{Prefix}{Environment.ProcessId}-{Guid.NewGuid():N}");
        var text = "[safe]\n" + string.Concat(dirs.Select(d => $"\tdirectory = {Quote(d)}\n"));
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        using (var fs = new FileStream(file, options))
            fs.Write(System.Text.Encoding.UTF8.GetBytes(text));
        return new LocalRepositoryTrust(file);
    }

    private const string Prefix = "cicdops-gitconfig-";
    private static int _swept;

    /// <summary>Before a process's first trust file: removes trust files whose creating process is gone.</summary>
    public static void RemoveStale()
    {
        try
        {
            foreach (var file in Directory.EnumerateFiles(Path.GetTempPath(), Prefix + "*"))
            {
                var rest = Path.GetFileName(file)[Prefix.Length..];
                var dash = rest.IndexOf('-');
                if (dash > 0 && int.TryParse(rest[..dash], out var pid) && !Processes.Posix.Exists(pid)) File.Delete(file);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* best effort */ }
    }

    private static string? LocalPath(string repository)
    {
        if (repository.StartsWith("file://", StringComparison.Ordinal))
            return Uri.TryCreate(repository, UriKind.Absolute, out var u) ? Path.TrimEndingDirectorySeparator(u.LocalPath) : null;
        return repository.StartsWith('/') ? Path.TrimEndingDirectorySeparator(repository) : null;
    }

    // A git config value in double quotes: only backslash and quote need escaping (control characters were refused).
    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    public void Dispose() => File.Delete(FilePath);
}
