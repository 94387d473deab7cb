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

    private static CicdException Invalid(string? r) => new(CicdError.InvalidRepository,
        $"Invalid repository '{Names.Printable(r)}': use https://, ssh://, git://, file://, user@host:owner/repo or an absolute local path.",
        r);
}
