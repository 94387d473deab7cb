using CicdOps.Engine.Validation;

namespace CicdOps.Engine.Git;

/// <summary>
/// Credentials inside a repository URL (https://user:token@host/…) are stored encrypted like secrets (under the
/// reserved name "@repository"), and the projects table keeps the URL as it is shown, https://***@host/…. Git gets
/// the real URL, rebuilt here, and <see cref="UrlCredentials"/> keeps it off git's command line.
/// </summary>
internal static class RepositoryCredentials
{
    private const string Placeholder = "***";

    /// <summary>The URL to store and the userinfo to encrypt (null when the URL carries none to hide).</summary>
    public static (string Stored, string? UserInfo) ForStorage(string url)
    {
        var (start, at) = RepositoryUrl.UserInfo(url);
        if (at < 0) return (url, null);
        var info = url[start..at];
        return info == Placeholder ? (url, null) : (RepositoryUrl.Redact(url), info);
    }

    /// <summary>The URL git uses for a stored project: its *** userinfo replaced by the decrypted one.</summary>
    public static string ForGit(EngineContext ctx, Project stored) => WithUserInfo(stored.Repository,
        HasPlaceholder(stored.Repository) ? ctx.Secrets.Store.GetRepositoryCredential(stored.Name) : null);

    /// <summary>A URL typed by a user that repeats the shown *** keeps the credentials already stored.</summary>
    public static string WithUserInfo(string url, string? userInfo)
    {
        if (userInfo is null || !HasPlaceholder(url)) return url;
        var (start, at) = RepositoryUrl.UserInfo(url);
        return url[..start] + userInfo + url[at..];
    }

    private static bool HasPlaceholder(string url)
    {
        var (start, at) = RepositoryUrl.UserInfo(url);
        return at >= 0 && url[start..at] == Placeholder;
    }

    /// <summary>After the project row is written: the credential stored, replaced or removed to match.</summary>
    public static void Save(EngineContext ctx, string project, string? userInfo)
    {
        if (userInfo is null) ctx.Secrets.Store.RemoveRepositoryCredential(project);
        else ctx.Secrets.Store.SetRepositoryCredential(project, userInfo);
    }
}
