using System.Text.RegularExpressions;

namespace CicdOps.Engine.Validation;

/// <summary>
/// Accepts the repository forms git understands and ops teams use: https://, http://, ssh://, git://,
/// file://, scp-like user@host:owner/repo, and local paths. Rejects everything else — in particular
/// git's "ext::" and other remote helpers, which would run commands.
/// </summary>
public static partial class RepositoryUrl
{
    [GeneratedRegex(@"\A[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^/\\:][^:]*\z")]
    private static partial Regex ScpLike();

    private static readonly string[] Schemes = { "https", "http", "ssh", "git", "file" };

    /// <summary>The protocols git may use for any project (GIT_ALLOW_PROTOCOL).</summary>
    public const string AllowedGitProtocols = "https:http:ssh:git:file";

    public static string Validate(string? repository)
    {
        var r = repository?.Trim();
        if (string.IsNullOrEmpty(r) || r.StartsWith('-') || r.Any(char.IsControl) || r.Length > 2048)
            throw Invalid(repository);
        if (Uri.TryCreate(r, UriKind.Absolute, out var uri) && r.Contains("://"))
        {
            if (!Schemes.Contains(uri.Scheme, StringComparer.OrdinalIgnoreCase)) throw Invalid(repository);
            if (uri.Scheme != "file" && string.IsNullOrEmpty(uri.Host)) throw Invalid(repository);
            return r;
        }
        if (r.Contains("::") || r.Contains("://")) throw Invalid(repository);
        if (ScpLike().IsMatch(r)) return r;
        if (r.StartsWith('/') || r.StartsWith("./") || r.StartsWith("../") || r.StartsWith("~/"))
            return r.StartsWith("~/") ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), r[2..]) : Path.GetFullPath(r);
        throw Invalid(repository);
    }

    /// <summary>
    /// The URL as shown to people (lists, errors, logs, JSON): the userinfo of a scheme URL — where a token or
    /// password lives, https://user:token@host/… — becomes ***. Other forms are returned as they are.
    /// </summary>
    public static string Redact(string url)
    {
        var (start, at) = UserInfo(url);
        return at < 0 ? url : url[..start] + "***" + url[at..];
    }

    /// <summary>
    /// What must never appear in output for this URL: its userinfo as written and decoded, and its password; for an
    /// http(s) URL also a user part alone (tokens are often given as the user). Empty when there is none.
    /// </summary>
    public static IReadOnlyList<string> Credentials(string url)
    {
        var (start, at) = UserInfo(url);
        if (at < 0) return Array.Empty<string>();
        var info = url[start..at];
        var colon = info.IndexOf(':');
        var http = url.StartsWith("http", StringComparison.OrdinalIgnoreCase);
        if (colon < 0 && !http) return Array.Empty<string>();
        var parts = new List<string> { info, Uri.UnescapeDataString(info) };
        if (colon >= 0) { parts.Add(info[(colon + 1)..]); parts.Add(Uri.UnescapeDataString(info[(colon + 1)..])); }
        return parts.Where(p => p.Length > 0).Distinct().OrderByDescending(p => p.Length).ToList();
    }

    /// <summary>Removes <paramref name="url"/>'s credentials from a message (git's stderr may repeat the URL).</summary>
    public static string RedactIn(string text, string url)
    {
        foreach (var secret in Credentials(url)) text = text.Replace(secret, "***", StringComparison.Ordinal);
        return text;
    }

    /// <summary>Where a scheme URL's userinfo starts and the index of its '@'; (0, -1) when it has none.</summary>
    internal static (int Start, int At) UserInfo(string url)
    {
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0) return (0, -1);
        var start = scheme + 3;
        var end = url.IndexOfAny(new[] { '/', '?', '#' }, start);
        if (end < 0) end = url.Length;
        var at = end > start ? url.LastIndexOf('@', end - 1, end - start) : -1;
        return at < start ? (0, -1) : (start, at);
    }

    private static CicdException Invalid(string? r) => new(CicdError.InvalidRepository,
        $"Invalid repository '{Names.Printable(r is null ? null : Redact(r))}': use https://, ssh://, git://, file://, user@host:owner/repo or an absolute local path.",
        r is null ? null : Redact(r));
}
