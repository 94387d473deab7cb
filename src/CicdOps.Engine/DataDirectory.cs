namespace CicdOps.Engine;

/// <summary>Where state lives: explicit path, else CICDOPS_HOME, else /var/lib/cicdops as root, else XDG data home.</summary>
public static class DataDirectory
{
    public const string EnvironmentVariable = "CICDOPS_HOME";

    public static string Resolve(string? explicitPath)
    {
        if (!string.IsNullOrWhiteSpace(explicitPath)) return System.IO.Path.GetFullPath(explicitPath);
        var fromEnv = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnv)) return System.IO.Path.GetFullPath(fromEnv);
        if (OperatingSystem.IsLinux() && Environment.UserName == "root") return "/var/lib/cicdops";
        var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        if (string.IsNullOrWhiteSpace(xdg))
            xdg = System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        return System.IO.Path.Combine(xdg, "cicdops");
    }
}
