namespace CicdOps.Engine.Webhooks;

/// <summary>
/// Reduces the many spellings of one repository (https, http, ssh://, scp-like git@host:owner/repo,
/// git://, file:// and local paths) to one comparable key, so a project registered with
/// git@github.com:Org/App.git matches a payload's https://github.com/org/app.
/// </summary>
public static class RepositoryUrl
{
    // Hosted forges whose owner/repository names are case-insensitive.
    private static readonly HashSet<string> CaseInsensitiveHosts = new(StringComparer.OrdinalIgnoreCase)
    {
        "github.com", "gitlab.com", "bitbucket.org", "codeberg.org",
    };

    /// <summary>
    /// The key "host[:port]/path" (or "file:/path" for local repositories) without scheme, userinfo,
    /// default port, trailing slash or ".git"; null when <paramref name="url"/> is not a repository location.
    /// </summary>
    public static string? Normalize(string? url)
    {
        if (string.IsNullOrWhiteSpace(url)) return null;
        url = url.Trim();
        if (url.Length > 2048) return null;

        if (url.StartsWith('/')) return LocalKey(url);
        if (url.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
            return Uri.TryCreate(url, UriKind.Absolute, out var f) && f.IsFile ? LocalKey(f.LocalPath) : null;

        if (url.Contains("://", StringComparison.Ordinal))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var u) || string.IsNullOrEmpty(u.Host)) return null;
            var scheme = u.Scheme.ToLowerInvariant();
            if (scheme is not ("https" or "http" or "ssh" or "git" or "git+ssh" or "ssh+git")) return null;
            var defaultPort = scheme switch { "https" => 443, "http" => 80, "git" => 9418, _ => 22 };
            var port = u.IsDefaultPort || u.Port == defaultPort || u.Port < 0 ? null : ":" + u.Port;
            return Key(u.Host, port, Uri.UnescapeDataString(u.AbsolutePath));
        }

        // scp-like: [user@]host:path (a colon before any slash).
        var colon = url.IndexOf(':');
        var slash = url.IndexOf('/');
        if (colon > 0 && (slash < 0 || colon < slash))
        {
            var hostPart = url[..colon];
            var at = hostPart.LastIndexOf('@');
            var host = at >= 0 ? hostPart[(at + 1)..] : hostPart;
            if (host.Length == 0 || host.Any(char.IsWhiteSpace)) return null;
            return Key(host.Trim('[', ']'), null, "/" + url[(colon + 1)..].TrimStart('/'));
        }
        return null;
    }

    /// <summary>True when both locations name the same repository.</summary>
    public static bool SameRepository(string? a, string? b)
    {
        var ka = Normalize(a);
        return ka is not null && ka == Normalize(b);
    }

    private static string? Key(string host, string? port, string path)
    {
        host = host.ToLowerInvariant();
        path = TrimRepositoryPath(path);
        if (path.Length == 0) return null;
        if (CaseInsensitiveHosts.Contains(host)) path = path.ToLowerInvariant();
        return host + port + path;
    }

    private static string? LocalKey(string path)
    {
        string full;
        try { full = Path.GetFullPath(path); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException) { return null; }
        var trimmed = TrimRepositoryPath(full);
        return trimmed.Length == 0 ? null : "file:" + trimmed;
    }

    private static string TrimRepositoryPath(string path)
    {
        path = path.TrimEnd('/');
        if (path.EndsWith(".git", StringComparison.OrdinalIgnoreCase)) path = path[..^4].TrimEnd('/');
        return path;
    }
}
