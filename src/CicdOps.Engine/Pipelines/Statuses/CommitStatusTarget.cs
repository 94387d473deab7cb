namespace CicdOps.Engine.Pipelines.Statuses;

public enum ForgeKind { GitHub, GitLab, Gitea }

/// <summary>
/// Where a project's commit statuses go: which forge API, its base URL, and the repository's path there (owner/name
/// for GitHub and Gitea, the full namespace path for GitLab). The base is derived from the repository URL for the
/// hosted forges (and, for a self-hosted host, from the provider of the webhook that queued the run); a project's
/// override says it outright, its path naming the API: /api/v3 GitHub Enterprise, /api/v4 GitLab, /api/v1 Gitea or Forgejo.
/// </summary>
internal sealed record CommitStatusTarget(ForgeKind Kind, string ApiBase, string RepositoryPath)
{
    /// <summary>The override's forge, or a CicdException saying what an override must look like.</summary>
    public static string ValidateOverride(string url)
    {
        if (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out var u) || u.Scheme is not ("https" or "http") || !string.IsNullOrEmpty(u.UserInfo)
            || !string.IsNullOrEmpty(u.Query) || !string.IsNullOrEmpty(u.Fragment) || KindOf(u) is null)
            throw new CicdException(CicdError.InvalidArgument,
                // The value is not echoed: it may carry credentials.
                "The commit status API must be an http(s) URL without credentials, query or fragment, ending in /api/v3 (GitHub Enterprise), " +
                "/api/v4 (GitLab) or /api/v1 (Gitea, Forgejo), or https://api.github.com.");
        return u.GetLeftPart(UriPartial.Path).TrimEnd('/');
    }

    private static ForgeKind? KindOf(Uri u)
    {
        var path = u.AbsolutePath.TrimEnd('/');
        if (path.EndsWith("/api/v3", StringComparison.Ordinal)) return ForgeKind.GitHub;
        if (path.EndsWith("/api/v4", StringComparison.Ordinal)) return ForgeKind.GitLab;
        if (path.EndsWith("/api/v1", StringComparison.Ordinal)) return ForgeKind.Gitea;
        if (path.Length == 0 && u.Host.Equals("api.github.com", StringComparison.OrdinalIgnoreCase)) return ForgeKind.GitHub;
        return null;
    }

    /// <summary>The target, or null with why (a host nobody can tell the forge of, Bitbucket, a local path without override).</summary>
    public static CommitStatusTarget? Resolve(string repositoryUrl, string? apiOverride, string? provider, out string? why)
    {
        why = null;
        var key = Webhooks.RepositoryUrl.Normalize(repositoryUrl);
        if (key is null) { why = "the repository URL has no host and path"; return null; }
        string? host = null;
        string path;
        if (key.StartsWith("file:", StringComparison.Ordinal)) path = key["file:".Length..];
        else
        {
            var slash = key.IndexOf('/');
            host = key[..slash];
            path = key[slash..];
        }
        path = path.Trim('/');

        ForgeKind kind;
        string apiBase;
        if (apiOverride is not null)
        {
            apiBase = apiOverride.TrimEnd('/');
            kind = KindOf(new Uri(apiBase))!.Value;
        }
        else if (host is null) { why = "a local repository has no forge; set the project's commit status API"; return null; }
        else
        {
            var bare = host.Split(':')[0];
            (ForgeKind, string)? known = bare switch
            {
                "github.com" => (ForgeKind.GitHub, "https://api.github.com"),
                "gitlab.com" => (ForgeKind.GitLab, "https://gitlab.com/api/v4"),
                "codeberg.org" or "gitea.com" => (ForgeKind.Gitea, $"https://{bare}/api/v1"),
                _ => provider switch
                {
                    "github" => (ForgeKind.GitHub, $"https://{bare}/api/v3"),
                    "gitlab" => (ForgeKind.GitLab, $"https://{bare}/api/v4"),
                    "gitea" or "forgejo" => (ForgeKind.Gitea, $"https://{bare}/api/v1"),
                    _ => null,
                },
            };
            if (known is null)
            {
                why = provider == "bitbucket" ? "Bitbucket commit statuses are not supported"
                    : $"cannot tell which forge {bare} is; set the project's commit status API";
                return null;
            }
            (kind, apiBase) = known.Value;
        }
        if (kind != ForgeKind.GitLab)
        {
            // GitHub and Gitea repositories are always owner/name: the last two segments of the path.
            var parts = path.Split('/');
            if (parts.Length < 2) { why = $"the repository path '{path}' is not owner/name"; return null; }
            path = parts[^2] + "/" + parts[^1];
        }
        return new CommitStatusTarget(kind, apiBase, path);
    }
}
