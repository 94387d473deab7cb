using System.Text.RegularExpressions;

namespace CicdOps.Engine.Validation;

/// <summary>
/// Checks every user-supplied name before it reaches the store, git or a process. Each check throws one
/// CicdException with a one-line reason, so bad input changes nothing.
/// </summary>
public static partial class Names
{
    [GeneratedRegex(@"\A[a-z0-9][a-z0-9-]{0,62}\z")]
    private static partial Regex ProjectNamePattern();

    [GeneratedRegex(@"\A[0-9a-fA-F]{4,64}\z")]
    private static partial Regex ShaPattern();

    public static string ProjectName(string? name)
    {
        if (name is null || !ProjectNamePattern().IsMatch(name))
            throw new CicdException(CicdError.InvalidProjectName,
                $"Invalid project name '{Printable(name)}': use 1-63 lowercase letters, digits and dashes, starting with a letter or digit.",
                name);
        return name;
    }

    /// <summary>A commit id as typed by a user: 4-64 hex digits, returned lowercase.</summary>
    public static string Commit(string? sha)
    {
        if (sha is null || !ShaPattern().IsMatch(sha))
            throw new CicdException(CicdError.InvalidCommit,
                $"Invalid commit '{Printable(sha)}': give a commit SHA (4 to 64 hexadecimal digits).", sha);
        return sha.ToLowerInvariant();
    }

    /// <summary>
    /// A branch name, by git's check-ref-format rules plus one of ours: it may not start with '-', so it can
    /// never be read as an option even where --end-of-options is not available.
    /// </summary>
    public static string Branch(string? branch)
    {
        if (!IsValidBranch(branch))
            throw new CicdException(CicdError.InvalidBranch,
                $"Invalid branch name '{Printable(branch)}': not a valid git branch name.", branch);
        return branch!;
    }

    /// <summary>Whether <paramref name="b"/> is a name <see cref="Branch"/> accepts.</summary>
    public static bool IsValidBranchName(string? b) => IsValidBranch(b);

    private static bool IsValidBranch(string? b)
    {
        if (string.IsNullOrEmpty(b) || b.Length > 255) return false;
        if (b[0] == '-' || b == "@" || b.EndsWith('/') || b.EndsWith('.') || b.StartsWith('/')) return false;
        if (b.Contains("..") || b.Contains("@{") || b.Contains("//") || b.EndsWith(".lock")) return false;
        foreach (var ch in b)
        {
            if (ch < 0x20 || ch == 0x7f || ch is ' ' or '~' or '^' or ':' or '?' or '*' or '[' or '\\') return false;
        }
        foreach (var part in b.Split('/'))
        {
            if (part.StartsWith('.') || part.EndsWith(".lock")) return false;
        }
        return true;
    }

    public static int Port(int port)
    {
        if (port is < 1 or > 65535)
            throw new CicdException(CicdError.InvalidPort, $"Invalid port {port}: use 1-65535.", port);
        return port;
    }

    public static TimeSpan Timeout(TimeSpan value, string what)
    {
        if (value <= TimeSpan.Zero || value > TimeSpan.FromDays(1))
            throw new CicdException(CicdError.InvalidTimeout, $"Invalid {what} {value}: use more than 0 and at most 24 hours.", value);
        return value;
    }

    /// <summary>How often the watchdog runs health.sh: 1 second to 1 hour (a shorter one would spend the host on checks).</summary>
    public static TimeSpan HealthInterval(TimeSpan value)
    {
        if (value < TimeSpan.FromSeconds(1) || value > TimeSpan.FromHours(1))
            throw new CicdException(CicdError.InvalidTimeout, $"Invalid health interval {value}: use 1 second to 1 hour.", value);
        return value;
    }

    /// <summary>Shortens and de-controls user input before it is echoed in an error message.</summary>
    internal static string Printable(string? s)
    {
        if (s is null) return "";
        var clean = new string(s.Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return clean.Length > 80 ? clean[..80] + "…" : clean;
    }
}
