namespace CicdOps.Cmdlets.Infrastructure;

/// <summary>Finds an executable on PATH the way a shell would (first directory that has it, executable).</summary>
public static class ExecutableLookup
{
    public static string? FindOnPath(string name, string? path = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains(Path.DirectorySeparatorChar)) return null;
        foreach (var directory in (path ?? Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            // Relative PATH entries depend on the working directory: a unit must not.
            if (!Path.IsPathRooted(directory)) continue;
            var candidate = Path.Combine(directory, name);
            if (IsExecutableFile(candidate)) return Path.GetFullPath(candidate);
        }
        return null;
    }

    public static bool IsExecutableFile(string path)
    {
        if (!File.Exists(path)) return false;
        if (OperatingSystem.IsWindows()) return true;
        const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        return (File.GetUnixFileMode(path) & anyExecute) != 0;
    }
}
