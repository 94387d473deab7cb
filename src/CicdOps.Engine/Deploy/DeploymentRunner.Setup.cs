using CicdOps.Engine.Git;
using CicdOps.Engine.Model;
using CicdOps.Engine.Processes;
using CicdOps.Engine.Sandbox;
using CicdOps.Engine.Secrets;
using CicdOps.Engine.State;

namespace CicdOps.Engine.Deploy;

/// <summary>Before the pipeline: who the project runs as, its secrets, its tree's owner and its PID file.</summary>
internal sealed partial class DeploymentRunner
{
    // Constant script run as the project's account in front of run.sh (then exec'd, so the app keeps the pid the
    // engine launched): data (the directory, the file, run.sh's argv) arrive as arguments. Builtins decide, so a
    // directory already there and no stale file cost no process.
    private const string PreparePidFileThenExec =
        "[ -d \"$1\" ] || mkdir -p -- \"$1\" || echo \"cicdops: \\$CICD_PID_FILE ($2) cannot be prepared\" >&2; " +
        "if [ -e \"$2\" ] || [ -L \"$2\" ]; then rm -f -- \"$2\"; fi; shift 2; exec \"$@\"";

    /// <returns>Null when ready, otherwise why the deployment cannot start.</returns>
    private string? Prepare()
    {
        try
        {
            // A first deploy checks the path before making the account, so a refused path leaves none behind.
            if (_ctx.Sandbox.IsSandboxed && _p.ServiceUser is null)
                _ctx.Sandbox.CheckProjectPath(new ProjectPathCheck(_p.Path, _p.Name, _p.Repository, null, AtDeploy: true));
            _account = AccountForDeploy();
            _secrets = _ctx.Secrets.Load(_p.Name);
            // The stored URL shows *** for credentials kept encrypted; git needs them.
            _p = _p with { Repository = RepositoryCredentials.ForGit(_ctx, _p) };
            // Credentials in the repository URL are masked like secrets: git's messages may repeat the URL.
            _masker = Validation.RepositoryUrl.Credentials(_p.Repository) is { Count: > 0 } credentials
                ? SecretMasker.Create(_secrets.Values.Concat(credentials))
                : EngineSecrets.MaskerFor(_secrets);
            _log.Masker = _masker;
            // git runs as the account with the clean environment (no secrets: git needs none).
            if (_ctx.Sandbox.IsSandboxed) _trust = LocalRepositoryTrust.For(_p.Repository);
            _own = new ProjectProcesses(_ctx.Tracker, _p.Name, _account.Uid, _ctx.Sandbox.IsSandboxed);
            // git runs in the deployment's unit and carries its marker: a runner that dies leaves no git behind.
            _git = new GitCli(_ctx.Sandbox.PlanLaunch(_account, Marker(), null), _trust?.FilePath, _ctx.Tracker.JoinPrefix(DeploymentUnit));
            _checkout = new Checkout(_git, _p.Path);
            Directory.CreateDirectory(_ctx.Layout.ProjectLogs(_p.Name));
            // Checked before anything in the tree changes (a path that now leads elsewhere, or holds what is
            // not this project's checkout, is refused), then realigned: git and the engine may have left
            // root-owned files behind.
            var placed = _ctx.Sandbox.CheckProjectPath(new ProjectPathCheck(_p.Path, _p.Name, _p.Repository, _p.ServiceUser, AtDeploy: true, _account));
            if (Directory.Exists(_p.Path) && NeedsRealign(placed)) _ctx.Sandbox.PrepareCheckedProjectPath(placed, _account);
            _pidFile = PidFilePath();
            return null;
        }
        catch (Exception e) when (e is CicdException or IOException or UnauthorizedAccessException) { return e.Message; }
    }

    /// <summary>
    /// Whether the tree must be given to the account again (chown -R) before this deploy. An in-place tree: always
    /// (older engines wrote there as root). A release layout only as it is made or migrated, or when its root is not
    /// the account's with mode 0750: once established, everything in it is made as the account (git, the scripts,
    /// `current` and pruning through <see cref="AccountFileSystem"/>), so nothing needs giving back, and a deploy no
    /// longer walks every file of every kept release.
    /// </summary>
    private bool NeedsRealign(string placed)
    {
        if (!_ctx.Sandbox.IsSandboxed || !UsesReleases) return true;
        var layout = new ReleaseLayout(placed);
        if (!layout.HasRepository || layout.IsPlainCheckout) return true;
        return Statx.Owner(placed) is not { } root || root.Uid != _account.Uid || root.Gid != _account.Gid
            || root.Mode != (int)ProjectPathPermissions.RootMode
            || Statx.Owner(layout.Repository) is not { } repo || repo.Uid != _account.Uid;
    }

    /// <summary>
    /// The project's account; sandboxed and without one yet (its first deploy), a dedicated one is made
    /// now and recorded, so registrations that never deploy leave no accounts behind.
    /// </summary>
    private ServiceAccount AccountForDeploy()
    {
        var (account, project, created) = ProjectAccounts.ForRun(_ctx, _p);
        _p = project;
        if (created) _log.Write("deploy", $"created service user {account.Name} for {_p.Name}");
        return account;
    }

    /// <summary>
    /// Where run.sh may hand over its app's PID. The data directory is root-only, so a sandboxed project's
    /// file lives under its account's home (see <see cref="ClearPidFileAsync"/>: the account makes it).
    /// </summary>
    private string PidFilePath() => _ctx.Sandbox.IsSandboxed
        ? Path.Combine(_account.Home, ".cicdops", "run", _p.Name, "app.pid")
        : _ctx.Layout.PidFile(_p.Name);

    /// <summary>
    /// run.sh's argv, so that before it starts the PID file's directory exists and no stale PID (of the previous
    /// app) is left. Sandboxed, the account does it itself in the app's own launch (no process of its own), so root
    /// never creates or deletes anything in the account's home.
    /// </summary>
    private string[] RunArgv()
    {
        var dir = Path.GetDirectoryName(_pidFile)!;
        if (_ctx.Sandbox.IsSandboxed)
            return PidFileReady(dir) ? new[] { "bash", ScriptNames.Run }
                : new[] { "/bin/sh", "-c", PreparePidFileThenExec, "cicdops-run", dir, _pidFile, "bash", ScriptNames.Run };
        Directory.CreateDirectory(dir);
        File.Delete(_pidFile);
        return new[] { "bash", ScriptNames.Run };
    }

    /// <summary>
    /// The PID file's directory is there and no file is in the way, as the account sees it (read in this process with
    /// its rights): run.sh then starts with no shell in front of it. Anything else, or no way to look as the account,
    /// goes through <see cref="PreparePidFileThenExec"/>.
    /// </summary>
    private bool PidFileReady(string dir)
    {
        if (!ReleaseFiles.InProcess) return false;
        try
        {
            return AccountFileSystem.Run(_account, () =>
                new DirectoryInfo(dir) is { Exists: true, LinkTarget: null } && new FileInfo(_pidFile) is { Exists: false, LinkTarget: null }
                && !Directory.Exists(_pidFile));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>The variables that mark a process as this deployment's (found by recovery without cgroups).</summary>
    private Dictionary<string, string> Marker() => new()
    {
        ["CICD_PROJECT"] = _p.Name,
        ["CICD_DEPLOYMENT_ID"] = _d.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private string DeploymentUnit => AppUnits.Deployment(_d.Id);

    private Task<(DeploymentStatus, string?, string?)> SetupFailedAsync(string reason)
    {
        Update(c => ProjectStore.Set(c, _p.Name, "status", _statusBefore.ToString()));
        return Task.FromResult<(DeploymentStatus, string?, string?)>((DeploymentStatus.Failed, reason, null));
    }
}
