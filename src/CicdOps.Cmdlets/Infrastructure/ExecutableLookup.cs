namespace CicdOps.Cmdlets.Infrastructure;

/// <summary>Whether a path is a file this process could execute (the module's carried cicdops, a -CicdOpsPath).</summary>
public static class ExecutableLookup
{
    public static bool IsExecutableFile(string path)
    {
        if (!File.Exists(path)) return false;
        if (OperatingSystem.IsWindows()) return true;
        const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        return (File.GetUnixFileMode(path) & anyExecute) != 0;
    }
}
