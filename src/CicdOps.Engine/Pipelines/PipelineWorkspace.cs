using CicdOps.Engine.Git;
using CicdOps.Engine.Sandbox;

namespace CicdOps.Engine.Pipelines;

/// <summary>
/// A fresh checkout of one exact commit for one run, owned by the project's account, deleted on Dispose. Never the
/// deployed tree. As root it lives in the account's home (`.cicdops/workspaces/RUN`): the data directory is 0700
/// root, so the account could not enter a directory under it. Not sandboxed, it lives under the data directory.
/// </summary>
internal sealed class PipelineWorkspace : IDisposable
{
    private PipelineWorkspace(string path) { Path = path; }

    public string Path { get; }

    public static string RootFor(IProjectSandbox sandbox, ServiceAccount account, DataLayout layout, string project) =>
        sandbox.IsSandboxed
            ? System.IO.Path.Combine(account.Home, ".cicdops", "workspaces")
            : System.IO.Path.Combine(layout.Root, "workspaces", project);

    /// <summary>Clones <paramref name="commit"/> (or the branch tip) as the account; returns the workspace and the full SHA.</summary>
    public static async Task<(PipelineWorkspace Workspace, string Sha)> CreateAsync(IProjectSandbox sandbox, ServiceAccount account, string root,
        string runId, string repository, string branch, string? commit, CancellationToken ct)
    {
        // The account makes the parent directories in its own home, so none of them is root's to take over.
        if (sandbox.IsSandboxed) await MakeRootAsAccountAsync(sandbox, account, root, ct);
        else Directory.CreateDirectory(root);
        var workspace = new PipelineWorkspace(System.IO.Path.Combine(root, runId));
        try
        {
            using var trust = sandbox.IsSandboxed ? LocalRepositoryTrust.For(repository) : null;
            var git = new GitCli(sandbox.PlanLaunch(account, null, null), trust?.FilePath);
            var checkout = new Checkout(git, workspace.Path);
            await checkout.InitAsync(path => sandbox.PrepareProjectPath(path, account), ct);
            await checkout.FetchAsync(repository, branch, ct);
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

    private static async Task MakeRootAsAccountAsync(IProjectSandbox sandbox, ServiceAccount account, string root, CancellationToken ct)
    {
        var psi = Processes.ProcessLaunch.Create(
            new Processes.LaunchSpec(new[] { "/bin/mkdir", "-p", "--", root }, sandbox.PlanLaunch(account, null, null)), "/");
        using var p = System.Diagnostics.Process.Start(psi)!;
        await p.WaitForExitAsync(ct);
        if (p.ExitCode != 0) throw new CicdException(CicdError.ServiceUserFailed, $"Account '{account.Name}' could not make its workspace directory '{root}'.", root);
    }

    public void Dispose()
    {
        // Directory.Delete removes symbolic links without following them, so a link planted by a step cannot steer it.
        try { if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
