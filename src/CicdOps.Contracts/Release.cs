namespace CicdOps;

/// <summary>
/// One kept release directory of a project with releases (releases/&lt;UTC time&gt;-&lt;short sha&gt; under its path).
/// InstalledAt: when install.sh last succeeded in it (null: none ran there). SizeBytes: its files, links not followed.
/// </summary>
public sealed record Release(string Project, string Name, string Commit, DateTimeOffset CreatedAt, DateTimeOffset? InstalledAt,
    long SizeBytes, bool IsCurrent, bool IsLastGood, string Path)
{
    /// <summary>The first 12 digits of the commit, as tables show it.</summary>
    public string ShortCommit => Commit.Length > 12 ? Commit[..12] : Commit;
}
