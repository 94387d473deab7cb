using CicdOps.Engine.Validation;

namespace CicdOps.Engine.Git;

/// <summary>
/// The git operations a deployment needs, on one project's working tree. Every target is resolved to a
/// full SHA before the tree is touched; the tree is only ever reset to a SHA.
/// </summary>
internal sealed class Checkout
{
    private readonly GitCli _git;
    private readonly string _path;

    public Checkout(GitCli git, string path) { _git = git; _path = path; }

    public bool Exists => Directory.Exists(Path.Combine(_path, ".git"));

    /// <summary>Asks the remote whether the branch exists, without touching any working tree.</summary>
    public static async Task<bool> BranchExistsAsync(GitCli git, string repository, string branch, CancellationToken ct)
    {
        var r = await git.RunAsync(null, new[] { "ls-remote", "--heads", "--end-of-options", repository, "refs/heads/" + branch }, ct,
            TimeSpan.FromSeconds(60));
        if (!r.Ok)
            throw new CicdException(CicdError.RepositoryUnreachable,
                $"Repository '{RepositoryUrl.Redact(repository)}' is unreachable: {RepositoryUrl.RedactIn(r.Error, repository)}", RepositoryUrl.Redact(repository),
                "Check the URL, the network and the deploy key or credentials git uses.");
        return r.StdOut.Contains("refs/heads/" + branch);
    }

    /// <summary>
    /// Creates an empty repository at the path, which must be absent or empty. <paramref name="giveAway"/>
    /// hands the new directory to the project's account before git writes into it.
    /// </summary>
    public async Task InitAsync(Action<string> giveAway, CancellationToken ct)
    {
        if (Directory.Exists(_path) && Directory.EnumerateFileSystemEntries(_path).Any())
            throw new CicdException(CicdError.CheckoutFailed,
                $"Path '{_path}' is not empty and holds no git checkout; empty it or choose another path.", _path);
        Directory.CreateDirectory(_path);
        giveAway(_path);
        Must(await _git.RunAsync(_path, new[] { "init", "--quiet" }, ct), "git init");
    }

    /// <summary>The git setting CicdOps writes into each checkout it creates, naming its project.</summary>
    public const string ProjectMarker = "cicdops.project";

    /// <summary>Records in .git/config which project this checkout belongs to (read back by Sandbox.ProjectPathPolicy).</summary>
    public async Task MarkAsync(string project, CancellationToken ct) =>
        Must(await _git.RunAsync(_path, new[] { "config", ProjectMarker, Names.ProjectName(project) }, ct), "git config");

    /// <summary>
    /// Tracked files that differ from HEAD, as a binary patch; null when the tree is clean. Reads only (git's
    /// optional index refresh aside), so it may run beside a fetch; the later reset to the target discards them.
    /// </summary>
    public async Task<string?> LocalModificationsAsync(CancellationToken ct)
    {
        // One status call on the hot path; a diff only when something really changed.
        var status = await _git.RunAsync(_path, new[] { "status", "--porcelain", "--untracked-files=no" }, ct);
        if (!status.Ok || status.StdOut.Trim().Length == 0) return null;
        var diff = await _git.RunAsync(_path, new[] { "diff", "--binary", "HEAD" }, ct);
        return diff.Ok ? diff.StdOut : null;
    }

    /// <summary>
    /// Fetches the branch from the project's repository URL into refs/remotes/origin/&lt;branch&gt;. Fetching
    /// from the URL itself (not a configured remote) means a changed repository needs no config rewrite.
    /// </summary>
    /// <param name="autoMaintenance">False: no `git maintenance run --auto` process after the fetch (the caller runs it now and then).</param>
    public async Task FetchAsync(string repository, string branch, CancellationToken ct, bool autoMaintenance = true)
    {
        Names.Branch(branch);
        var r = await _git.RunAsync(_path, new[]
        {
            "-c", "maintenance.auto=" + (autoMaintenance ? "true" : "false"), "fetch", "--quiet", "--no-tags", "--no-recurse-submodules", "--end-of-options", repository,
            $"+refs/heads/{branch}:refs/remotes/origin/{branch}",
        }, ct);
        if (!r.Ok) throw new CicdException(CicdError.RepositoryUnreachable, $"git fetch failed: {RepositoryUrl.RedactIn(r.Error, repository)}", branch);
    }

    /// <summary>The ref <see cref="FetchAsync"/> updates for <paramref name="branch"/>, as a revision naming its commit.</summary>
    public static string FetchedTip(string branch) => $"refs/remotes/origin/{Names.Branch(branch)}^{{commit}}";

    /// <summary>The full SHA of the fetched branch tip, or of a commit given by the user.</summary>
    public async Task<string> ResolveAsync(string repository, string branch, string? commit, CancellationToken ct)
    {
        if (commit is null) return await RevParseAsync($"refs/remotes/origin/{branch}", ct)
            ?? throw new CicdException(CicdError.CommitNotFound, $"Branch '{branch}' has no commits on the remote.", branch);
        Names.Commit(commit);
        var sha = await RevParseAsync(commit, ct);
        if (sha is null && commit.Length is 40 or 64)
        {
            // Not reachable from the fetched branch: ask the remote for that exact object.
            await _git.RunAsync(_path, new[] { "fetch", "--quiet", "--no-tags", "--end-of-options", repository, commit }, ct);
            sha = await RevParseAsync(commit, ct);
        }
        return sha ?? throw new CicdException(CicdError.CommitNotFound, $"Commit '{commit}' was not found in the repository.", commit);
    }

    /// <summary>The full SHA of the fetched branch tip, or null when the branch has no commits.</summary>
    public Task<string?> FetchedTipAsync(string branch, CancellationToken ct) => RevParseAsync($"refs/remotes/origin/{branch}", ct);

    /// <summary>True when <paramref name="ancestor"/> is <paramref name="descendant"/> or one of its ancestors.</summary>
    public async Task<bool> IsAncestorAsync(string ancestor, string descendant, CancellationToken ct)
    {
        Names.Commit(ancestor);
        Names.Commit(descendant);
        var r = await _git.RunAsync(_path, new[] { "merge-base", "--is-ancestor", "--end-of-options", ancestor, descendant }, ct);
        return r.ExitCode == 0;
    }

    public async Task ResetHardAsync(string sha, CancellationToken ct)
    {
        Names.Commit(sha);
        Must(await _git.RunAsync(_path, new[] { "reset", "--quiet", "--hard", sha }, ct), "git reset");
    }

    private async Task<string?> RevParseAsync(string rev, CancellationToken ct)
    {
        var r = await _git.RunAsync(_path, new[] { "rev-parse", "--verify", "--quiet", "--end-of-options", rev + "^{commit}" }, ct);
        return r.Ok ? r.StdOut.Trim() : null;
    }

    private static void Must(GitResult r, string what)
    {
        if (!r.Ok) throw new CicdException(CicdError.CheckoutFailed, $"{what} failed: {r.Error}");
    }
}
