using CicdOps.Engine.State;
using CicdOps.Engine.Validation;

namespace CicdOps.Engine.Git;

/// <summary>
/// Turns a commit id typed by an operator (pin, rollback) into the full SHA of a commit that exists in the
/// project's repository, before anything is stored: a pin to "0000000" would otherwise skip every later deploy.
/// Cheapest source first: a commit this project already deployed, then the project's checkout (git as the
/// project's account, fetching the branch when needed), then a scratch repository the engine fetches into.
/// </summary>
internal static class CommitLookup
{
    public static string Resolve(EngineContext ctx, Project p, string commit)
    {
        var prefix = Names.Commit(commit);
        // As stored, with the real URL: the shown form has no repository credentials.
        p = ctx.Db.Read(c => ProjectStore.Get(c, p.Name));
        p = p with { Repository = RepositoryCredentials.ForGit(ctx, p) };
        var known = ctx.Db.Read(c => DeploymentStore.RecentCommits(c, p.Name, 1000))
            .Where(s => s.Length is 40 or 64 && s.StartsWith(prefix, StringComparison.Ordinal)).Distinct().ToList();
        if (known.Count == 1) return known[0];
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        return (Directory.Exists(Path.Combine(p.Path, ".git")) ? InCheckoutAsync(ctx, p, prefix, timeout.Token) : InScratchAsync(ctx, p, prefix, timeout.Token))
            .GetAwaiter().GetResult();
    }

    private static async Task<string> InCheckoutAsync(EngineContext ctx, Project p, string commit, CancellationToken ct)
    {
        var account = ctx.Sandbox.ResolveAccount(p.ServiceUser);
        using var trust = ctx.Sandbox.IsSandboxed ? LocalRepositoryTrust.For(p.Repository) : null;
        var checkout = new Checkout(new GitCli(ctx.Sandbox.PlanLaunch(account, null, null), trust?.FilePath), p.Path);
        return await FindAsync(checkout, p, commit, ct);
    }

    /// <summary>Never deployed: a root-owned scratch repository under the data directory, removed afterwards.</summary>
    private static async Task<string> InScratchAsync(EngineContext ctx, Project p, string commit, CancellationToken ct)
    {
        var dir = Path.Combine(ctx.Layout.Root, "tmp", "lookup-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            using var trust = LocalRepositoryTrust.For(p.Repository);
            var git = new GitCli(null, trust?.FilePath);
            var init = await git.RunAsync(dir, new[] { "init", "--quiet" }, ct);
            if (!init.Ok) throw new CicdException(CicdError.CheckoutFailed, $"git init failed: {init.Error}", dir);
            return await FindAsync(new Checkout(git, dir), p, commit, ct);
        }
        finally { try { Directory.Delete(dir, recursive: true); } catch (IOException) { } }
    }

    private static async Task<string> FindAsync(Checkout checkout, Project p, string commit, CancellationToken ct)
    {
        try { return await checkout.ResolveAsync(p.Repository, p.Branch, commit, ct); }
        catch (CicdException e) when (e.Error == CicdError.CommitNotFound) { }
        // Not fetched yet: the branch as it is now on the remote.
        await checkout.FetchAsync(p.Repository, p.Branch, ct);
        try { return await checkout.ResolveAsync(p.Repository, p.Branch, commit, ct); }
        catch (CicdException e) when (e.Error == CicdError.CommitNotFound)
        {
            throw new CicdException(CicdError.CommitNotFound,
                $"Commit '{commit}' was not found in {p.Name}'s repository (branch {p.Branch} fetched); nothing was changed.", commit);
        }
    }
}
