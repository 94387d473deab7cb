using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace CicdOps.Engine.Sandbox;

/// <summary>
/// Where a project's tree may not go. The tree is handed recursively to the project's account, so any
/// location the system or another owner depends on is refused by prefix (everything under /etc, not
/// just /etc itself), after resolving symbolic links: /srv/x → /etc is /etc.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class SystemPaths
{
    // Refused with everything under them.
    private static readonly string[] RefusedTrees =
    {
        "/etc", "/usr", "/bin", "/sbin", "/boot", "/dev", "/proc", "/sys", "/root", "/run", "/var/run",
        "/var/log", "/var/spool", "/var/cache", "/var/mail", "/var/backups", "/snap",
    };

    // Refused themselves (a project needs a directory of its own below them).
    private static readonly string[] RefusedExactly =
    {
        "/", "/home", "/var", "/var/lib", "/tmp", "/var/tmp", "/srv", "/opt", "/mnt", "/media", "/var/www", "/usr/local",
    };

    /// <summary>Null when <paramref name="full"/> (absolute, normalized, links resolved) may hold a project; otherwise why not.</summary>
    public static string? RefusalOf(string full)
    {
        if (RefusedExactly.Contains(full, StringComparer.Ordinal))
            return $"'{full}' is a shared system directory; give the project a directory of its own below it (e.g. {(full == "/" ? "/srv" : full.TrimEnd('/'))}/<name>).";
        var tree = RefusedTrees.FirstOrDefault(t => IsSameOrUnder(full, t));
        if (tree is not null) return $"'{full}' is inside {tree}, which belongs to the system; use a directory under /srv, /opt or /var/www.";
        var parts = full.Split('/', StringSplitOptions.RemoveEmptyEntries);
        // /lib, /lib64, /libx32…: whatever the distribution calls them.
        if (parts.Length > 0 && parts[0].StartsWith("lib", StringComparison.Ordinal))
            return $"'{full}' is inside /{parts[0]}, which belongs to the system; use a directory under /srv, /opt or /var/www.";
        // The data directory and the service accounts' homes (/var/lib/cicdops, /var/lib/cicdops-home…).
        if (parts.Length >= 3 && parts[0] == "var" && parts[1] == "lib" && parts[2].StartsWith("cicdops", StringComparison.Ordinal))
            return $"'{full}' is inside /var/lib/{parts[2]}, which belongs to CicdOps itself; use a directory under /srv, /opt or /var/www.";
        return null;
    }

    /// <summary>
    /// Null unless <paramref name="full"/> is an account's home directory or above one: a home (even an empty
    /// one) belongs to its user. Inside a home is fine (/home/deploy/apps/web), when reachable.
    /// </summary>
    public static string? HomeRefusalOf(string full)
    {
        IEnumerable<(string Name, string Home)> entries;
        if (PasswdEntries.Available) entries = PasswdEntries.All();
        else
        {
            var r = ToolRunner.Run("getent", new[] { "passwd" });
            if (r.ExitCode != 0) return null;
            entries = r.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(':'))
                .Where(f => f.Length >= 7).Select(f => (f[0], f[5]));
        }
        foreach (var (name, dir) in entries)
        {
            if (dir.Length < 2 || !dir.StartsWith('/')) continue; // "/" as a home: only "/" is above it
            var home = Normalize(dir);
            if (IsSameOrUnder(home, full))
                return $"'{full}' {(home == full ? "is" : "holds")} the home directory of account '{name}' ({home}); give the project a directory of its own.";
        }
        return null;
    }

    /// <summary>
    /// The path with every symbolic link resolved: the deepest existing ancestor through realpath(3),
    /// the part that does not exist yet appended as given.
    /// </summary>
    public static string Resolve(string path)
    {
        var full = Normalize(path);
        var missing = new Stack<string>();
        var existing = full;
        while (!Directory.Exists(existing) && !File.Exists(existing) && existing != "/")
        {
            missing.Push(Path.GetFileName(existing));
            existing = Path.GetDirectoryName(existing) ?? "/";
        }
        var resolved = RealPath(existing) ?? existing;
        while (missing.Count > 0) resolved = Path.Combine(resolved, missing.Pop());
        return Normalize(resolved);
    }

    public static string Normalize(string path)
    {
        var full = Path.GetFullPath(path);
        return full.Length > 1 ? Path.TrimEndingDirectorySeparator(full) : full;
    }

    public static bool IsSameOrUnder(string candidate, string dir) => PathOverlap.IsSameOrUnder(candidate, dir);

    /// <summary>True when one path is the other, inside it, or above it.</summary>
    public static bool Overlap(string a, string b) => PathOverlap.Between(a, b);

    [DllImport("libc", EntryPoint = "realpath", SetLastError = true)]
    private static extern IntPtr RealPathNative([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr resolved);

    [DllImport("libc", EntryPoint = "free")]
    private static extern void Free(IntPtr p);

    private static string? RealPath(string path)
    {
        var p = RealPathNative(path, IntPtr.Zero);
        if (p == IntPtr.Zero) return null;
        try { return Marshal.PtrToStringUTF8(p); }
        finally { Free(p); }
    }
}
