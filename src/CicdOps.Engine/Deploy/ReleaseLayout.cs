namespace CicdOps.Engine.Deploy;

/// <summary>
/// Where a project with releases keeps things under its path: repo/ (a bare repository the releases share
/// objects with, each release a `git worktree`), releases/&lt;UTC time&gt;-&lt;short sha&gt;/, shared/ (paths
/// linked into every release) and current (a symbolic link to the release that serves, switched by rename).
/// </summary>
internal sealed record ReleaseLayout(string Root)
{
    public string Repository => Path.Combine(Root, "repo");
    public string Releases => Path.Combine(Root, "releases");
    public string Current => Path.Combine(Root, "current");
    public string Release(string name) => Path.Combine(Releases, name);

    /// <summary>A plain checkout (the layout before releases) sits at the root: it is migrated at the next deploy.</summary>
    public bool IsPlainCheckout => Directory.Exists(Path.Combine(Root, ".git"));

    public bool HasRepository => Directory.Exists(Repository);

    /// <summary>The release `current` names (a name under releases/, read from the link, never followed), or null.</summary>
    public string? CurrentName()
    {
        var info = new FileInfo(Current);
        if (info.LinkTarget is not { } target) return null;
        const string prefix = "releases/";
        return target.StartsWith(prefix, StringComparison.Ordinal) && !target[prefix.Length..].Contains('/') ? target[prefix.Length..] : null;
    }

    public static string NameFor(string sha, DateTimeOffset at) => $"{at.UtcDateTime:yyyyMMdd'T'HHmmssfff'Z'}-{(sha.Length > 12 ? sha[..12] : sha)}";
}
