using CicdOps.Engine.Git;
using CicdOps.Engine.Model;
using CicdOps.Engine.Processes;
using CicdOps.Engine.State;
using CicdOps.Engine.Validation;

namespace CicdOps.Engine;

public sealed partial class CicdEngine
{
    /// <summary>
    /// Validates everything (including that the repository answers and the path may be the project's)
    /// before anything is stored. No account is made here: the first deploy creates it.
    /// </summary>
    public Project RegisterProject(ProjectSpec spec)
    {
        var name = Names.ProjectName(spec.Name);
        var project = new Project
        {
            Name = name,
            Repository = RepositoryUrl.Validate(spec.Repository),
            Branch = Names.Branch(spec.Branch),
            Path = spec.Path,
            Port = spec.Port is { } p ? Names.Port(p) : null,
            InstallTimeout = Names.Timeout(spec.InstallTimeout ?? ProjectDefaults.InstallTimeout, "install timeout"),
            HealthTimeout = Names.Timeout(spec.HealthTimeout ?? ProjectDefaults.HealthTimeout, "health timeout"),
            HealthInterval = Names.HealthInterval(spec.HealthInterval ?? ProjectDefaults.HealthInterval),
            // A named account must exist (and not be root) now; unsandboxed, the engine's own (stored as null).
            ServiceUser = spec.ServiceUser is { } u && _ctx.Sandbox.IsSandboxed ? _ctx.Sandbox.ResolveAccount(u).Name : null,
            SudoCommands = Sandbox.SudoCommands.Validate(spec.SudoCommands),
            KeepReleases = SharedPaths.KeepReleases(spec.KeepReleases ?? ProjectDefaults.KeepReleases),
            RequirePipeline = spec.RequirePipeline,
            PipelineEvents = spec.PipelineEvents is { } events ? Pipelines.PipelineEventNames.Validate(events) : [Pipelines.PipelineEventNames.Push],
            CommitStatusApi = spec.CommitStatusApi is { } api ? Pipelines.Statuses.CommitStatusTarget.ValidateOverride(api) : null,
            SharedPaths = SharedPaths.Validate(spec.SharedPaths),
            CreatedAt = DateTimeOffset.UtcNow,
            UpdatedAt = DateTimeOffset.UtcNow,
        };
        project = CheckSettings(project, current: null);
        CheckProxyRules(project);
        ProjectPorts.CheckPrivileged(project.Port, spec.AllowPrivilegedPort);
        ProjectPorts.CheckListeners(project.Port, DataPath);
        // Credentials in the URL are stored encrypted; the row keeps the shown form (https://***@host/…).
        var (storedRepository, credential) = RepositoryCredentials.ForStorage(project.Repository);
        project = project with { Repository = storedRepository };
        var inserted = false;
        try
        {
            _ctx.Db.Write(c =>
            {
                EnsureFree(c, project, isNew: true); // again, inside the transaction: another process may have won
                ProjectPorts.CheckShared(c, project);
                ProjectStore.Insert(c, project);
            });
            inserted = true;
            if (credential is not null) RepositoryCredentials.Save(_ctx, name, credential);
        }
        catch
        {
            // A row without its credential would deploy as *** (only ours: another process may own the name).
            if (inserted) { try { _ctx.Db.Write(c => ProjectStore.Delete(c, name)); } catch (CicdException) { } }
            throw;
        }
        return GetProject(name);
    }

    /// <summary>
    /// The one set of checks a project's settings pass, at registration (<paramref name="current"/> null)
    /// and at every change: path placement, reach and contents, repository and branch, free name/path.
    /// Returns the project with its path normalized (links resolved).
    /// </summary>
    private Project CheckSettings(Project next, Project? current)
    {
        // A path already the project's stays its own; a new one passes every check a registration's does.
        var moved = current is null || next.Path != current.Path;
        if (moved)
        {
            if (string.IsNullOrWhiteSpace(next.Path) || next.Path.Any(char.IsControl))
                throw new CicdException(CicdError.InvalidPath, "Invalid path: give the directory the working tree lives in.", next.Path);
            next = next with
            {
                Path = _ctx.Sandbox.CheckProjectPath(new Sandbox.ProjectPathCheck(next.Path, next.Name, next.Repository, next.ServiceUser)),
            };
            if (_ctx.Layout.Contains(next.Path) || Sandbox.PathOverlap.Between(next.Path, DataPath))
                throw new CicdException(CicdError.InvalidPath, $"Invalid path '{next.Path}': it overlaps the data directory {DataPath}.", next.Path);
        }
        _ctx.Db.Read(c => { EnsureFree(c, next, isNew: current is null); return 0; });
        if (current is null || next.Repository != current.Repository || next.Branch != current.Branch)
            EnsureBranchExists(next.Repository, next.Branch);
        return next;
    }

    public Project GetProject(string name) => WithSandbox(_ctx.Db.Read(c => ProjectStore.Get(c, Names.ProjectName(name))));

    public IReadOnlyList<Project> GetProjects() => _ctx.Db.Read(ProjectStore.All).Select(WithSandbox).ToList();

    /// <summary>
    /// A project as front ends see it: sandboxed when the engine is (its account is made at its first deploy if it
    /// has none yet), and its repository URL without credentials (they are used by git, never shown).
    /// </summary>
    private Project WithSandbox(Project p) => p with
    {
        Sandboxed = _ctx.Sandbox.IsSandboxed, Repository = RepositoryUrl.Redact(p.Repository),
    };

    public Project UpdateProject(string name, ProjectUpdate update)
    {
        if (update.ClearSudoCommands && update.SudoCommands is { Count: > 0 })
            throw new CicdException(CicdError.InvalidArgument, "Give sudo commands or clear them, not both.", name);
        // As stored, with the real repository URL (the shown form has its credentials redacted).
        var stored = _ctx.Db.Read(c => ProjectStore.Get(c, Names.ProjectName(name)));
        var storedCredential = RepositoryCredentials.ForStorage(RepositoryCredentials.ForGit(_ctx, stored)).UserInfo;
        var current = stored with { Repository = RepositoryCredentials.ForGit(_ctx, stored) };
        var next = current with
        {
            // A URL that repeats the shown *** keeps the stored credentials.
            Repository = update.Repository is { } r ? RepositoryCredentials.WithUserInfo(RepositoryUrl.Validate(r), storedCredential) : current.Repository,
            Branch = update.Branch is { } b ? Names.Branch(b) : current.Branch,
            Path = update.Path ?? current.Path,
            Port = update.ClearPort ? null : update.Port is { } port ? Names.Port(port) : current.Port,
            InstallTimeout = update.InstallTimeout is { } it ? Names.Timeout(it, "install timeout") : current.InstallTimeout,
            HealthTimeout = update.HealthTimeout is { } ht ? Names.Timeout(ht, "health timeout") : current.HealthTimeout,
            HealthInterval = update.HealthInterval is { } hi ? Names.HealthInterval(hi) : current.HealthInterval,
            SudoCommands = update.ClearSudoCommands ? Array.Empty<string>()
                : update.SudoCommands is { } sudo ? Sandbox.SudoCommands.Validate(sudo) : current.SudoCommands,
            KeepReleases = update.KeepReleases is { } keep ? SharedPaths.KeepReleases(keep) : current.KeepReleases,
            RequirePipeline = update.RequirePipeline ?? current.RequirePipeline,
            PipelineEvents = update.PipelineEvents is { } events ? Pipelines.PipelineEventNames.Validate(events) : current.PipelineEvents,
            CommitStatusApi = update.ClearCommitStatusApi ? null
                : update.CommitStatusApi is { } api ? Pipelines.Statuses.CommitStatusTarget.ValidateOverride(api) : current.CommitStatusApi,
            SharedPaths = update.SharedPaths is { } shared ? SharedPaths.Validate(shared) : current.SharedPaths,
        };
        if (update.Port is not null && next.Port != current.Port)
        {
            ProjectPorts.CheckPrivileged(next.Port, update.AllowPrivilegedPort);
            ProjectPorts.CheckListeners(next.Port, DataPath);
        }
        next = CheckSettings(next, current);
        CheckProxyRules(next);
        var (storedRepository, credential) = RepositoryCredentials.ForStorage(next.Repository);
        _ctx.Db.Write(c =>
        {
            EnsureFree(c, next, isNew: false);
            if (next.Port != current.Port) ProjectPorts.CheckShared(c, next);
            ProjectStore.UpdateSettings(c, next with { Repository = storedRepository });
        });
        if (credential != storedCredential) RepositoryCredentials.Save(_ctx, stored.Name, credential);
        // The account keeps the old tree (its app may still run there until the next deploy); remembered so that
        // removing the account later gives it back to root too.
        if (next.Path != current.Path && current.ServiceUser is not null && _ctx.Sandbox.IsSandboxed)
            Sandbox.RetiredProjectPaths.Add(DataPath, stored.Name, current.Path);
        return GetProject(name);
    }

    /// <summary>
    /// Stops the project's app and removes the project, its history and its secrets; the working tree stays.
    /// With <paramref name="removeServiceUser"/>, the account CicdOps created for it is deleted too (never
    /// one a user named).
    /// </summary>
    public Project UnregisterProject(string name, bool removeServiceUser = false)
    {
        var project = GetProject(name);
        var active = _ctx.Db.Read(c => DeploymentStore.FindByStatus(c, project.Name, DeploymentStatus.Running));
        if (active is not null)
            throw new CicdException(CicdError.InvalidArgument, $"Project '{project.Name}' is deploying (deployment {active.Id}); cancel it first.",
                project.Name, $"Cancel it: Stop-CicdDeployment -Name {project.Name} / cicdops cancel {project.Name}.");
        StopApp(project);
        _ctx.Db.Write(c => ProjectStore.Delete(c, project.Name));
        Proxy.ProxyStore.Delete(_ctx, project.Name);
        var retired = Sandbox.RetiredProjectPaths.Take(DataPath, project.Name);
        if (_ctx.Db.Read(ProjectStore.All).Count == 0) _ctx.Tracker.RemoveAll(); // no project left: no cgroup either
        if (removeServiceUser && project.ServiceUser is { } user && _ctx.Sandbox.IsSandboxed
            && Sandbox.ServiceUserName.IsManaged(user))
        {
            // userdel refuses an account that still runs processes (a daemon that left the app's group, say).
            var account = _ctx.Sandbox.ResolveAccount(user);
            AccountProcesses.KillAll(account.Uid);
            // The tree stays, but not with a uid the next account may be given; nor do trees it was moved away from,
            // unless another project lives there now.
            _ctx.Sandbox.ReleaseProjectPath(project.Path);
            var others = _ctx.Db.Read(ProjectStore.All);
            foreach (var old in retired.Where(Directory.Exists).Where(old => !others.Any(o => Sandbox.PathOverlap.Between(o.Path, old))))
                _ctx.Sandbox.ReleaseProjectPath(old);
            _ctx.Sandbox.RemoveAccount(user);
        }
        return project;
    }

    /// <summary>Stops the project's app through the one rule every stop follows: only the project's own processes.</summary>
    private void StopApp(Project project)
    {
        // Its account gone, uid 0 stands for "none": no process counts as the project's by its user, and the cgroup still does.
        uint uid;
        try { uid = _ctx.Sandbox.ResolveAccount(project.ServiceUser).Uid; }
        catch (CicdException) { uid = 0; }
        var own = new ProjectProcesses(_ctx.Tracker, project.Name, uid, _ctx.Sandbox.IsSandboxed);
        own.StopAppAsync(_ctx.Db.Read(c => ProjectStore.GetApp(c, project.Name)), _ctx.Options.StopGracePeriod).GetAwaiter().GetResult();
        _ctx.Tracker.Remove(own.AppUnit);
        _ctx.Tracker.Remove(own.DrainUnit);
    }

    private static void EnsureFree(Microsoft.Data.Sqlite.SqliteConnection c, Project p, bool isNew)
    {
        if (isNew && ProjectStore.Find(c, p.Name) is not null)
            throw new CicdException(CicdError.ProjectExists, $"A project named '{p.Name}' already exists.", p.Name,
                "Change it with Set-CicdProject / cicdops project set, or choose another name.");
        // Inside or above another project's tree is as bad as the same tree: one chown -R would take the other's files.
        var clash = ProjectStore.All(c).FirstOrDefault(o => o.Name != p.Name && Sandbox.PathOverlap.Between(o.Path, p.Path));
        if (clash is not null)
            throw new CicdException(CicdError.InvalidPath, clash.Path == p.Path
                ? $"Path '{p.Path}' is already the working tree of project '{clash.Name}'."
                : $"Path '{p.Path}' overlaps '{clash.Path}', the working tree of project '{clash.Name}'.", p.Path);
    }

    private static void EnsureBranchExists(string repository, string branch)
    {
        if (!Checkout.BranchExistsAsync(new GitCli(), repository, branch, CancellationToken.None).GetAwaiter().GetResult())
            throw new CicdException(CicdError.InvalidBranch, $"Branch '{branch}' does not exist in '{RepositoryUrl.Redact(repository)}'.", branch,
                "Push the branch first, or pass the right one with -Branch / --branch.");
    }
}
