using CicdOps.Engine.Git;
using CicdOps.Engine.Model;
using CicdOps.Engine.Processes;
using CicdOps.Engine.State;

namespace CicdOps.Engine.Deploy;

/// <summary>
/// Sync for a project with releases: each commit gets its own directory (a `git worktree` of repo/), built
/// while the serving release stays untouched; `current` is switched only once the new one is healthy. A
/// commit whose release is still kept is switched back to without git or install.
/// </summary>
internal sealed partial class DeploymentRunner
{
    private ReleaseLayout? _layout;
    /// <summary>The release this deployment (or its rollback) brings up; null without releases.</summary>
    private ReleaseRecord? _release;

    private bool UsesReleases => _p.KeepReleases > 0;

    /// <summary>Where install.sh, run.sh and health.sh run: the release being brought up, or the one working tree.</summary>
    private string WorkDir => _release is { } r ? _layout!.Release(r.Name) : _p.Path;

    private async Task<string> SyncReleaseAsync(string? commit, bool rollback, CancellationToken ct)
    {
        _layout ??= new ReleaseLayout(_p.Path);
        // A rollback to a kept release: no fetch, no checkout, no install; the commit is a full SHA the engine stored.
        if ((rollback || _d.Trigger == DeploymentTrigger.Rollback) && commit is { Length: 40 or 64 } && Kept(commit) is { } kept)
        {
            string sha = "";
            await Stage(DeploymentStage.Sync, rollback, () =>
            {
                Use(kept);
                sha = kept.Commit;
                if (!rollback) Update(c => DeploymentStore.SetCommit(c, _d.Id, sha));
                _log.Write("sync", $"release {kept.Name} of {Short(sha)} is kept: switching to it, no git and no install");
                return Task.FromResult<(StageOutcome, int?, string?)>((StageOutcome.Succeeded, null, "kept release " + kept.Name));
            });
            return sha;
        }
        string target = "";
        await Stage(DeploymentStage.Sync, rollback, async () =>
        {
            await EnsureLayoutAsync(ct);
            // The serving release's own changes are read while the new commit is fetched: neither waits for the other.
            // Started from the pool: starting a process blocks its caller until the child has exec'd, and the fetch
            // (the critical path) must not wait for that.
            var serving = Task.Run(() => ServingModificationsAsync(ct), CancellationToken.None);
            var side = new List<Task> { serving };
            try { return await SyncNewReleaseAsync(commit, rollback, serving, side, t => target = t, ct); }
            finally
            {
                // Whatever ran beside the main line ends within the stage, even when its answer was not needed.
                foreach (var task in side) await Quietly(task);
            }
        });
        return target;
    }

    private async Task<(StageOutcome, int?, string?)> SyncNewReleaseAsync(string? commit, bool rollback,
        Task<(string Release, string? Patch)?> serving, List<Task> side, Action<string> resolved, CancellationToken ct)
    {
        var repo = new Checkout(_git, _layout!.Repository);
        _checkout = repo;
        await repo.FetchAsync(_p.Repository, _p.Branch, ct, AutoMaintenance);
        // The fetched tip is read from its ref file in this process, as the account (no rev-parse process); a packed or
        // unreadable ref, and a given commit, are resolved by git.
        var target = commit is null && FetchedTipInProcess() is { } tip ? tip : await repo.ResolveAsync(_p.Repository, _p.Branch, commit, ct);
        resolved(target);
        if (!rollback && (_stale = await StaleDeliveryAsync(target, ct)) is not null)
        {
            _log.Write("sync", $"{Short(target)} is stale: {_stale}; nothing deployed");
            return (StageOutcome.Skipped, null, "stale: " + _stale);
        }
        if (!rollback)
        {
            Update(c =>
            {
                DeploymentStore.SetCommit(c, _d.Id, target);
                if (_d.Trigger == DeploymentTrigger.Pin) ProjectStore.Set(c, _p.Name, "pinned_commit", target);
            });
        }
        if (Kept(target) is { } existing)
        {
            if (existing.Name != _layout.CurrentName()) await SaveServingModificationsAsync(await serving, ct);
            Use(existing);
            _log.Write("sync", $"at {target}, in its kept release {existing.Name}");
            return (StageOutcome.Succeeded, null, target);
        }
        // The commit's scripts are read from git's tree (see ScriptTree) while its release is checked out: the checkout
        // runs nothing of the commit's, and no script runs until the listing has passed.
        var listing = Task.Run(() => ScriptTree.ListAsync(_git, _layout.Repository, target, ct), CancellationToken.None); // beside, as the status above
        side.Add(listing);
        var release = new ReleaseRecord(_p.Name, ReleaseLayout.NameFor(target, DateTimeOffset.UtcNow), target, DateTimeOffset.UtcNow, null,
            null, false, false);
        // Recorded first: a deploy cancelled or killed mid-checkout leaves a directory pruning knows about.
        Update(c => ReleaseStore.Insert(c, release));
        var add = await AddWorktreeAsync(release.Name, target, ct);
        try
        {
            _scripts = ScriptTree.Parse(await listing, target);
            if (!add.Ok) throw new CicdException(CicdError.CheckoutFailed, $"git worktree add failed: {add.Error}", release.Name);
            if (WorktreeHead(release.Name) is { } head && head != target)
                throw new CicdException(CicdError.CheckoutFailed, $"{target} is not a commit (it checks out as {head}); nothing deployed", target);
        }
        catch (CicdException)
        {
            // Never kept as the commit's release: a later deploy of it must not find a half-made or refused tree.
            if (ReleaseFiles.InProcess && ReleaseFiles.Remove(_account, _layout, new[] { release.Name }))
                Update(c => ReleaseStore.Delete(c, _p.Name, release.Name));
            throw;
        }
        release = release with { InstallObject = _scripts.InstallObject, HasRun = _scripts.HasRun, HasHealth = _scripts.HasHealth };
        Update(c => ReleaseStore.SetScripts(c, _p.Name, release.Name, release.InstallObject, release.HasRun, release.HasHealth));
        await SaveServingModificationsAsync(await serving, ct);
        if (_p.SharedPaths.Count > 0)
            await RunAsAccountAsync(ReleaseScripts.LinkShared, new[] { _p.Path, release.Name }.Concat(_p.SharedPaths).ToArray(), "linking shared paths", ct);
        _release = release;
        _log.Write("sync", $"at {target}, in the new release {release.Name}");
        return (StageOutcome.Succeeded, null, target);
    }

    /// <summary>
    /// The release as a worktree of repo/ at <paramref name="sha"/>: made in this process as the account and checked out
    /// by one `git reset --hard` in it where that is possible, otherwise `git worktree add --detach`.
    /// </summary>
    private async Task<GitResult> AddWorktreeAsync(string name, string sha, CancellationToken ct)
    {
        if (!ReleaseFiles.InProcess)
            return await _git.RunAsync(_layout!.Repository, new[] { "worktree", "add", "--quiet", "--detach", _layout.Release(name), sha }, ct);
        try { ReleaseFiles.MakeWorktree(_account, _layout!, name, sha); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return new GitResult(1, "", e.Message); }
        return await _git.RunAsync(_layout.Release(name), new[] { "reset", "--quiet", "--hard", "--no-recurse-submodules" }, ct);
    }

    /// <summary>
    /// git's automatic maintenance (gc of loose objects) after a fetch is a git process of its own on every deploy;
    /// it runs at every 10th deployment of the engine's numbering instead, which bounds loose objects the same way.
    /// </summary>
    private bool AutoMaintenance => _d.Id % 10 == 0;

    /// <summary>The SHA the fetched branch's ref file names, read as the account; null when git must say (packed, missing, odd).</summary>
    private string? FetchedTipInProcess()
    {
        if (!ReleaseFiles.InProcess) return null;
        var file = Path.Combine(_layout!.Repository, "refs", "remotes", "origin", Validation.Names.Branch(_p.Branch));
        return ReadHexLine(file);
    }

    /// <summary>The commit git checked the new release out at (repo/worktrees/ID/HEAD, ID being the release's name).</summary>
    private string? WorktreeHead(string name) =>
        ReleaseFiles.InProcess ? ReadHexLine(Path.Combine(_layout!.Repository, "worktrees", name, "HEAD")) : null;

    private string? ReadHexLine(string file)
    {
        try
        {
            var line = Sandbox.AccountFileSystem.Run(_account, () => File.Exists(file) ? File.ReadLines(file).FirstOrDefault() : null);
            return line is { Length: 40 or 64 } && line.All(Uri.IsHexDigit) && !line.Any(char.IsUpper) ? line : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>The kept release of a commit whose directory is still there.</summary>
    private ReleaseRecord? Kept(string sha)
    {
        var r = _db.Read(c => ReleaseStore.ForCommit(c, _p.Name, sha));
        return r is not null && Directory.Exists(_layout!.Release(r.Name)) ? r : null;
    }

    private void Use(ReleaseRecord r)
    {
        _release = r;
        _scripts = new ScriptTree(r.InstallObject, r.HasRun, r.HasHealth);
    }

    /// <summary>
    /// repo/, releases/ and shared/ exist: made on a first deploy, and a plain checkout (the layout before
    /// releases) is moved under releases/ as the first release, recorded with the commit it served.
    /// </summary>
    private async Task EnsureLayoutAsync(CancellationToken ct)
    {
        if (_layout!.HasRepository && !_layout.IsPlainCheckout) return;
        if (!Directory.Exists(_p.Path))
        {
            Directory.CreateDirectory(_p.Path);
            _ctx.Sandbox.PrepareProjectPath(_p.Path, _account);
        }
        var migrating = _layout.IsPlainCheckout;
        var served = _db.Read(c => ProjectStore.Get(c, _p.Name));
        var first = ReleaseLayout.NameFor(served.CurrentCommit ?? "migrated", DateTimeOffset.UtcNow);
        await RunAsAccountAsync(ReleaseScripts.Layout, new[] { _p.Path, first, _p.Name }, migrating ? "moving the checkout under releases/" : "making repo/", ct);
        if (!migrating) { _log.Write("sync", $"made {_layout.Repository} (releases are worktrees of it)"); return; }
        _log.Write("sync", $"migrated the checkout at {_p.Path} to the release {first}; current links to it");
        if (served.CurrentCommit is not { } sha) return;
        var scripts = await ScriptTree.ReadAsync(_git, _layout.Release(first), sha, ct);
        var installed = scripts.InstallObject is not null && scripts.InstallObject == served.InstallScriptHash ? DateTimeOffset.UtcNow : (DateTimeOffset?)null;
        Update(c => ReleaseStore.Insert(c, new ReleaseRecord(_p.Name, first, sha, DateTimeOffset.UtcNow, installed,
            scripts.InstallObject, scripts.HasRun, scripts.HasHealth)));
    }

    /// <summary>The serving release and its local modifications as a patch (null when clean); null when nothing serves.</summary>
    private async Task<(string Release, string? Patch)?> ServingModificationsAsync(CancellationToken ct)
    {
        if (_layout!.CurrentName() is not { } serving || !Directory.Exists(_layout.Release(serving))) return null;
        return (serving, await new Checkout(_git, _layout.Release(serving)).LocalModificationsAsync(ct));
    }

    /// <summary>Local modifications to the serving release are saved as a patch before another release replaces it (it stays as it is).</summary>
    private async Task SaveServingModificationsAsync((string Release, string? Patch)? serving, CancellationToken ct)
    {
        if (serving is not { Patch: { } patch } s) return;
        var dir = _ctx.Layout.Patches(_p.Name);
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, $"{DateTimeOffset.UtcNow:yyyyMMddTHHmmssfffZ}-deployment-{_d.Id}.patch");
        await File.WriteAllTextAsync(file, patch, ct);
        _log.Write("sync", $"local modifications of the serving release {s.Release} saved to {file} (apply with: git apply {file})");
    }

    /// <summary>
    /// Once the release is healthy: `current` names it (a new link renamed over the old one). A deploy (not a
    /// rollback) also removes, in the same script, what <see cref="PruneReleasesAsync"/> would remove once it is
    /// recorded as current and last good: one process for both.
    /// </summary>
    private async Task SwitchCurrentAsync(bool prune)
    {
        if (_release is not { } next || _layout is null) return;
        if (_layout.CurrentName() == next.Name) return;
        var gone = prune ? PrunedOnceServing(next) : new List<ReleaseRecord>();
        if (ReleaseFiles.InProcess)
        {
            bool allGone;
            try { allGone = ReleaseFiles.Switch(_account, _layout, next.Name, gone.Select(g => g.Name).ToList()); }
            catch (IOException e) { throw new CicdException(CicdError.CheckoutFailed, $"switching current failed as {_account.Name}: {e.Message}", _p.Path); }
            _log.Write("deploy", $"current → releases/{next.Name}");
            Pruned(gone, allGone, _p.KeepReleases);
            _prunedAtSwitch = prune && allGone;
            return;
        }
        var argv = new List<string> { "/bin/sh", "-c", ReleaseScripts.Switch, "cicdops-release", _p.Path, next.Name };
        argv.AddRange(gone.Select(r => r.Name));
        var r = await RunTrackedAsync(new LaunchSpec(argv, _ctx.Sandbox.PlanLaunch(_account, Marker(), null)), "/", TimeSpan.FromMinutes(10),
            line => _log.Write("deploy", line), CancellationToken.None);
        var pruneFailed = gone.Count > 0 && r.ExitCode == 3;
        if (!r.Succeeded && !pruneFailed)
            throw new CicdException(CicdError.CheckoutFailed, $"switching current failed as {_account.Name}: {r.Describe("sh")}", _p.Path);
        _log.Write("deploy", $"current → releases/{next.Name}");
        if (gone.Count == 0) return;
        if (pruneFailed) { _log.Write("deploy", "pruning releases failed: " + r.Describe("sh")); return; }
        Update(c => { foreach (var g in gone) ReleaseStore.Delete(c, _p.Name, g.Name); });
        _log.Write("deploy", $"pruned {string.Join(", ", gone.Select(g => g.Name))} (keeping {_p.KeepReleases})");
        _prunedAtSwitch = true;
    }

    /// <summary>The switch already removed what <see cref="PruneReleasesAsync"/> would (the same rule, once serving).</summary>
    private bool _prunedAtSwitch;

    /// <summary>The releases <see cref="PruneReleasesAsync"/> would remove once <paramref name="next"/> serves as current and last good.</summary>
    private List<ReleaseRecord> PrunedOnceServing(ReleaseRecord next)
    {
        var p = _db.Read(c => ProjectStore.Get(c, _p.Name));
        var all = _db.Read(c => ReleaseStore.List(c, _p.Name));
        var keep = all.Take(p.KeepReleases).Select(r => r.Name).ToHashSet();
        var protect = new[] { next.Commit, p.PinnedCommit };
        return all.Where(r => !keep.Contains(r.Name) && r.Name != next.Name && !protect.Contains(r.Commit)).ToList();
    }

    /// <summary>
    /// Keeps the newest <see cref="Project.KeepReleases"/> releases, and always the serving, last good and pinned
    /// ones; the others' directories go, and git's records of them, in one script as the account (no git process).
    /// </summary>
    private async Task PruneReleasesAsync()
    {
        if (_layout is null || _prunedAtSwitch) return;
        var p = _db.Read(c => ProjectStore.Get(c, _p.Name));
        var all = _db.Read(c => ReleaseStore.List(c, _p.Name));
        var current = _layout.CurrentName();
        var keep = all.Take(p.KeepReleases).Select(r => r.Name).ToHashSet();
        var protect = new[] { p.LastGoodCommit, p.PinnedCommit, p.CurrentCommit };
        var gone = all.Where(r => !keep.Contains(r.Name) && r.Name != current && r.Name != _release?.Name && !protect.Contains(r.Commit)).ToList();
        if (gone.Count == 0) return;
        if (ReleaseFiles.InProcess) { Pruned(gone, ReleaseFiles.Remove(_account, _layout, gone.Select(g => g.Name).ToList()), p.KeepReleases); return; }
        try
        {
            await RunAsAccountAsync(ReleaseScripts.Remove, new[] { _p.Path }.Concat(gone.Select(r => r.Name)).ToArray(), "pruning releases", CancellationToken.None);
            Update(c => { foreach (var r in gone) ReleaseStore.Delete(c, _p.Name, r.Name); });
            _log.Write("deploy", $"pruned {string.Join(", ", gone.Select(r => r.Name))} (keeping {p.KeepReleases})");
        }
        catch (CicdException e) { _log.Write("deploy", "pruning releases failed: " + e.Message); }
    }

    /// <summary>
    /// Prunes while the new release's health is checked (on the pool, beside the check's processes), so the switch after a
    /// healthy check has nothing left to remove on the deploy's path. The rule is <see cref="PruneReleasesAsync"/>'s with
    /// the serving release still current: nothing a rollback could need (current, last good, pinned, the new one) goes,
    /// and nothing the switch would keep. Only in this process (a release script would share the deployment's unit, which
    /// each health check's end sweeps), and not beside a zero-downtime switch (the old release drains after it).
    /// </summary>
    private Task PruneBesideHealth(bool rollback)
    {
        if (rollback || _layout is null || _release is null || !ReleaseFiles.InProcess || Switching) return Task.CompletedTask;
        return Task.Run(async () =>
        {
            try { await PruneReleasesAsync(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CicdException)
            {
                _log.Write("deploy", "pruning releases failed: " + e.Message);
            }
        });
    }

    /// <summary>Records what pruning removed, or logs that it failed (the records stay for the next prune).</summary>
    private void Pruned(List<ReleaseRecord> gone, bool allGone, int keep)
    {
        if (gone.Count == 0) return;
        if (!allGone) { _log.Write("deploy", $"pruning releases failed: not all of {string.Join(", ", gone.Select(g => g.Name))} could be removed"); return; }
        Update(c => { foreach (var g in gone) ReleaseStore.Delete(c, _p.Name, g.Name); });
        _log.Write("deploy", $"pruned {string.Join(", ", gone.Select(g => g.Name))} (keeping {keep})");
    }

    private void MarkInstalled()
    {
        if (_release is { } r) Update(c => ReleaseStore.SetInstalled(c, _p.Name, r.Name, DateTimeOffset.UtcNow));
    }

    /// <summary>One of <see cref="ReleaseScripts"/>, as the project's account, in the deployment's unit.</summary>
    private async Task RunAsAccountAsync(string script, string[] args, string what, CancellationToken ct)
    {
        var argv = new List<string> { "/bin/sh", "-c", script, "cicdops-release" };
        argv.AddRange(args);
        var spec = new LaunchSpec(argv, _ctx.Sandbox.PlanLaunch(_account, Marker(), null));
        var r = await RunTrackedAsync(spec, "/", TimeSpan.FromMinutes(10), line => _log.Write("sync", line), ct);
        if (r.Cancelled) throw new OperationCanceledException(ct);
        if (!r.Succeeded) throw new CicdException(CicdError.CheckoutFailed, $"{what} failed as {_account.Name}: {r.Describe("sh")}", _p.Path);
    }
}
