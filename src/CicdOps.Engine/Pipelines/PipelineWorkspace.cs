using CicdOps.Engine.Git;
using CicdOps.Engine.Sandbox;

namespace CicdOps.Engine.Pipelines;

/// <summary>
/// A fresh checkout of one exact commit for one run, owned by the project's account, deleted on Dispose. Never the
/// deployed tree. As root it lives in the account's home (`.cicdops/workspaces/RUN`): the data directory is 0700
/// root, so the account could not enter a directory under it. Not sandboxed, it lives under the data directory.
/// Everything in the account's home is the account's to swap for a symbolic link, so as root the engine neither
/// creates nor deletes anything there itself: the account makes the workspace directory and removes it.
/// </summary>
internal sealed class PipelineWorkspace : IDisposable
{
    private readonly IProjectSandbox _sandbox;
    private readonly ServiceAccount _account;

    private PipelineWorkspace(string path, IProjectSandbox sandbox, ServiceAccount account)
    {
        Path = path;
        _sandbox = sandbox;
        _account = account;
    }

    public string Path { get; }

    public static string RootFor(IProjectSandbox sandbox, ServiceAccount account, DataLayout layout, string project) =>
        sandbox.IsSandboxed
            ? System.IO.Path.Combine(account.Home, ".cicdops", "workspaces")
            : System.IO.Path.Combine(layout.Root, "workspaces", project);

    /// <summary>Clones <paramref name="commit"/> (or the branch tip) as the account; returns the workspace and the full SHA.</summary>
    public static async Task<(PipelineWorkspace Workspace, string Sha)> CreateAsync(IProjectSandbox sandbox, ServiceAccount account, string root,
        string runId, string repository, string branch, string? commit, CancellationToken ct, string? alsoFetch = null)
    {
        var workspace = new PipelineWorkspace(System.IO.Path.Combine(root, runId), sandbox, account);
        if (sandbox.IsSandboxed)
        {
            // Made by the account (it cannot create anything it could not anyway), then checked from root's side:
            // a real directory of the account's, reached through no symbolic link.
            if (await AsAccountAsync(sandbox, account, ct, "/bin/mkdir", "-p", "--", workspace.Path) != 0)
                throw new CicdException(CicdError.ServiceUserFailed, $"Account '{account.Name}' could not make its workspace '{workspace.Path}'.", workspace.Path);
            RequireNoLinks(account.Home, workspace.Path);
        }
        else Directory.CreateDirectory(workspace.Path);
        try
        {
            using var trust = sandbox.IsSandboxed ? LocalRepositoryTrust.For(repository) : null;
            var git = new GitCli(sandbox.PlanLaunch(account, null, null), trust?.FilePath);
            var checkout = new Checkout(git, workspace.Path);
            // The directory is already the account's (it made it): nothing for root to chown in the account's home.
            await checkout.InitAsync(_ => { }, ct);
            await checkout.FetchAsync(repository, branch, ct);
            if (alsoFetch is not null && alsoFetch != branch && Validation.Names.IsValidBranchName(alsoFetch))
            {
                try { await checkout.FetchAsync(repository, alsoFetch, ct); }
                catch (CicdException) { /* a fork's branch: the commit is then asked for by its id */ }
            }
            var sha = await checkout.ResolveAsync(repository, branch, commit, ct);
            await checkout.ResetHardAsync(sha, ct);
            return (workspace, sha);
        }
        catch
        {
            workspace.Dispose();
            throw;
        }
    }

    /// <summary>Author and subject+body of the commit, read as the account.</summary>
    public async Task<(string Author, string Message)> DescribeAsync(IProjectSandbox sandbox, ServiceAccount account, string sha, CancellationToken ct)
    {
        var git = new GitCli(sandbox.PlanLaunch(account, null, null));
        var r = await git.RunAsync(Path, new[] { "show", "-s", "--format=%an%x00%B", "--end-of-options", sha }, ct);
        if (!r.Ok) return ("", "");
        var parts = r.StdOut.Split('\0', 2);
        return (parts[0], parts.Length > 1 ? parts[1].TrimEnd('\n') : "");
    }

    private static async Task<int> AsAccountAsync(IProjectSandbox sandbox, ServiceAccount account, CancellationToken ct, params string[] argv)
    {
        var psi = Processes.ProcessLaunch.Create(new Processes.LaunchSpec(argv, sandbox.PlanLaunch(account, null, null)), "/");
        using var p = System.Diagnostics.Process.Start(psi)!;
        await p.WaitForExitAsync(ct);
        return p.ExitCode;
    }

    private static void RequireNoLinks(string home, string path)
    {
        for (var dir = new DirectoryInfo(path); dir is not null && dir.FullName.Length > home.TrimEnd('/').Length; dir = dir.Parent)
            if (dir.LinkTarget is not null || !dir.Exists)
                throw new CicdException(CicdError.ServiceUserFailed, $"Workspace path '{dir.FullName}' is a symbolic link or missing; refusing to use it.", dir.FullName);
    }

    private bool _kept;

    /// <summary>Leaves the workspace in place for debugging (a failed run's); <see cref="Remove"/> deletes it later.</summary>
    public void Keep() => _kept = true;

    public void Dispose()
    {
        if (!_kept) Remove(_sandbox, _account, Path);
    }

    /// <summary>
    /// Deletes a workspace: as the account when sandboxed (its home is the account's to fill with links; rm does not
    /// follow them), else directly (Directory.Delete removes links without following them).
    /// </summary>
    public static void Remove(IProjectSandbox sandbox, ServiceAccount account, string path)
    {
        try
        {
            if (sandbox.IsSandboxed) AsAccountAsync(sandbox, account, CancellationToken.None, "/bin/rm", "-rf", "--", path).GetAwaiter().GetResult();
            else if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CicdException) { }
    }
}
