namespace CicdOps.Engine.Webhooks;

/// <summary>What a delivery's body says, reduced to what deployment needs. All of it is untrusted data.</summary>
public sealed record WebhookPayload
{
    /// <summary>Every location the payload gives for its repository (clone, ssh, web URLs), as sent.</summary>
    public required IReadOnlyList<string> RepositoryUrls { get; init; }
    /// <summary>The refs the push moved (one for most hosts; Bitbucket may batch several).</summary>
    public required IReadOnlyList<RefUpdate> Updates { get; init; }

    /// <summary>For a pull or merge request event whose action runs pipelines (opened, new commits, reopened); else null.</summary>
    public PullRequestEvent? PullRequest { get; init; }

    /// <summary>Why a pull request event runs nothing (an action such as closed or labeled); null otherwise.</summary>
    public string? PullRequestIgnored { get; init; }

    /// <summary>The normalised keys of <see cref="RepositoryUrls"/> (see <see cref="RepositoryUrl"/>).</summary>
    public IReadOnlyList<string> RepositoryKeys => RepositoryUrls.Select(RepositoryUrl.Normalize).OfType<string>().Distinct().ToList();
}

/// <summary>A pull or merge request's number, branches and head commit (Bitbucket sends the head abbreviated).</summary>
public sealed record PullRequestEvent(int Number, string SourceBranch, string TargetBranch, string HeadCommit, string Action);

/// <summary>One ref moved by a push: its full name, the new commit and whether it was deleted.</summary>
public sealed record RefUpdate(string Ref, string? After, bool Deleted)
{
    public const string TagPrefix = "refs/tags/";

    /// <summary>The commit the ref pointed at before (all zeros for a new ref), when the payload says.</summary>
    public string? Before { get; init; }

    /// <summary>A pushed (not deleted) tag.</summary>
    public bool IsTag => Ref.StartsWith(TagPrefix, StringComparison.Ordinal) && !Deleted && After is not null;

    public const string BranchPrefix = "refs/heads/";

    /// <summary>The branch name for refs/heads/*; null for tags and anything else.</summary>
    public string? Branch { get; } = Ref.StartsWith(BranchPrefix, StringComparison.Ordinal) ? Ref[BranchPrefix.Length..] : null;
}

/// <summary>Commit ids as payloads carry them: full SHA-1 (40) or SHA-256 (64) hex, never a ref name.</summary>
public static class CommitId
{
    public static bool IsValid(string? s) =>
        s is not null && (s.Length == 40 || s.Length == 64) && s.All(char.IsAsciiHexDigit);

    /// <summary>An abbreviated id (7 to 64 hex digits), as Bitbucket sends a pull request's head.</summary>
    public static bool IsAbbreviated(string? s) =>
        s is not null && s.Length is >= 7 and <= 64 && s.All(char.IsAsciiHexDigit);

    /// <summary>The all-zero id hosts send as "after" when a ref is deleted.</summary>
    public static bool IsZero(string? s) => s is not null && s.Length > 0 && s.All(c => c == '0');
}
