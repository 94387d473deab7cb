using System.Text.RegularExpressions;

namespace CicdOps.Engine.Validation;

/// <summary>
/// Paths a project keeps across releases (in shared/, linked into each release): relative, made of plain
/// segments (no "..", ".", empty or hidden git/cicd segments), a trailing / marking a directory. They end up
/// as arguments of a constant script run as the project's user, never in a shell string.
/// </summary>
public static partial class SharedPaths
{
    [GeneratedRegex(@"\A[A-Za-z0-9_.@+-]+(/[A-Za-z0-9_.@+-]+)*/?\z")]
    private static partial Regex Pattern();

    public const int MaxReleases = 100;

    public static IReadOnlyList<string> Validate(IEnumerable<string>? paths)
    {
        var list = new List<string>();
        foreach (var path in paths ?? Array.Empty<string>())
        {
            if (path is null || !Pattern().IsMatch(path) || path.Length > 255)
                throw Bad($"Invalid shared path '{Names.Printable(path)}': give a path relative to the release, e.g. .env or storage/ (a trailing / for a directory).", path);
            var segments = path.TrimEnd('/').Split('/');
            if (segments.Any(s => s is "." or ".."))
                throw Bad($"Invalid shared path '{path}': '.' and '..' are not allowed.", path);
            if (segments[0] is ".git" or ".cicd")
                throw Bad($"Invalid shared path '{path}': .git and .cicd belong to the commit.", path);
            list.Add(path);
        }
        var names = list.Select(p => p.TrimEnd('/')).ToList();
        foreach (var a in names)
            if (names.Any(b => b != a && b.StartsWith(a + "/", StringComparison.Ordinal)))
                throw Bad($"Invalid shared path '{a}': another shared path lies inside it.", a);
        return list.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>0 (one working tree updated in place) or 1 to <see cref="MaxReleases"/> releases kept.</summary>
    public static int KeepReleases(int keep)
    {
        if (keep is < 0 or > MaxReleases)
            throw Bad($"Invalid number of releases to keep: {keep}; give 1 to {MaxReleases} (default {ProjectDefaults.KeepReleases}), or 0 for one working tree updated in place.", keep.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return keep;
    }

    internal static string? Store(IReadOnlyList<string> paths) => paths.Count == 0 ? null : string.Join('\n', paths);

    internal static IReadOnlyList<string> Load(string? stored) =>
        string.IsNullOrEmpty(stored) ? Array.Empty<string>() : stored.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static CicdException Bad(string message, string? target) => new(CicdError.InvalidArgument, message, target);
}
