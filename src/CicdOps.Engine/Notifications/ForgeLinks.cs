namespace CicdOps.Engine.Notifications;

/// <summary>
/// A web link to a commit, when the repository URL names a host whose layout is known (GitHub, GitLab, Bitbucket,
/// Gitea/Forgejo/Codeberg style). Never built from a local path, and never with credentials.
/// </summary>
internal static class ForgeLinks
{
    public static string? Commit(string? repository, string? sha)
    {
        if (repository is null || sha is null || sha.Length < 7 || !sha.All(Uri.IsHexDigit)) return null;
        var (host, path) = HostAndPath(repository.Trim());
        if (host is null || path is null) return null;
        path = path.Trim('/');
        if (path.EndsWith(".git", StringComparison.OrdinalIgnoreCase)) path = path[..^4];
        if (path.Count(c => c == '/') < 1 || path.Any(c => char.IsWhiteSpace(c) || c is '?' or '#' or '@')) return null;
        host = host.ToLowerInvariant();
        var commitPath = host switch
        {
            "bitbucket.org" => "/commits/",
            _ when host.Contains("gitlab", StringComparison.Ordinal) => "/-/commit/",
            "github.com" or "codeberg.org" => "/commit/",
            _ when host.Contains("gitea", StringComparison.Ordinal) || host.Contains("forgejo", StringComparison.Ordinal) || host.Contains("github", StringComparison.Ordinal) => "/commit/",
            _ => null,
        };
        return commitPath is null ? null : $"https://{host}/{path}{commitPath}{sha}";
    }

    private static (string? Host, string? Path) HostAndPath(string url)
    {
        if (url.Contains("://", StringComparison.Ordinal))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var u) || u.Scheme is not ("https" or "http" or "ssh" or "git")) return (null, null);
            return (u.Host, Uri.UnescapeDataString(u.AbsolutePath));
        }
        var colon = url.IndexOf(':');
        var slash = url.IndexOf('/');
        if (colon <= 0 || (slash >= 0 && slash < colon)) return (null, null);
        var host = url[..colon];
        var at = host.LastIndexOf('@');
        return (at >= 0 ? host[(at + 1)..] : host, url[(colon + 1)..]);
    }
}
