using CicdOps.Engine.Git;
using CicdOps.Engine.Model;
using CicdOps.Engine.Processes;
using CicdOps.Engine.State;
using CicdOps.Engine.Validation;

namespace CicdOps.Engine;

public sealed partial class CicdEngine
{
    /// <summary>Validates everything (including that the repository answers) before anything is stored.</summary>
    public Project RegisterProject(ProjectSpec spec)
    {
        var name = Names.ProjectName(spec.Name);
        var project = new Project
        {
            Name = name,
            Repository = RepositoryUrl.Validate(spec.Repository),
            Branch = Names.Branch(spec.Branch),
            Path = ValidPath(spec.Path),
            Port = spec.Port is { } p ? Names.Port(p) : null,
            InstallTimeout = Names.Timeout(spec.InstallTimeout ?? ProjectDefaults.InstallTimeout, "install timeout"),
            HealthTimeout = Names.Timeout(spec.HealthTimeout ?? ProjectDefaults.HealthTimeout, "health timeout"),
            ServiceUser = spec.ServiceUser,
            AllowSudoDuringInstall = spec.AllowSudoDuringInstall,
            CreatedAt = DateTimeOffset.UtcNow,
            UpdatedAt = DateTimeOffset.UtcNow,
        };
        _ctx.Db.Read(c => { EnsureFree(c, project, isNew: true); return 0; });
        EnsureBranchExists(project.Repository, project.Branch);
        // Credentials in the URL are stored encrypted; the row keeps the shown form (https://***@host/…).
        var (storedRepository, credential) = RepositoryCredentials.ForStorage(project.Repository);
        project = project with { Repository = storedRepository };
        // Only now, with everything valid, may an account be created; unsandboxed, the engine's own (stored as null).
        var account = _ctx.Sandbox.EnsureAccount(name, spec.ServiceUser);
        project = project with { ServiceUser = _ctx.Sandbox.IsSandboxed ? account.Name : null };
        var inserted = false;
        try
        {
            _ctx.Db.Write(c =>
            {
                EnsureFree(c, project, isNew: true); // again, inside the transaction: another process may have won
                ProjectStore.Insert(c, project);
            });
            inserted = true;
            if (credential is not null) RepositoryCredentials.Save(_ctx, name, credential);
        }
        catch
        {
            // A row without its credential would deploy as *** (only ours: another process may own the name).
            if (inserted) { try { _ctx.Db.Write(c => ProjectStore.Delete(c, name)); } catch (CicdException) { } }
            // The account was made for this registration only: leave nothing behind (the insert's error wins).
            if (_ctx.Sandbox.IsSandboxed && spec.ServiceUser is null)
            {
                try { _ctx.Sandbox.RemoveAccount(account.Name); } catch (CicdException) { }
            }
            throw;
        }
        return GetProject(name);
    }

    public Project GetProject(string name) => WithSandbox(_ctx.Db.Read(c => ProjectStore.Get(c, Names.ProjectName(name))));

    public IReadOnlyList<Project> GetProjects() => _ctx.Db.Read(ProjectStore.All).Select(WithSandbox).ToList();

    /// <summary>
    /// A project as front ends see it: sandboxed when the engine is and the project has its own account, and its
    /// repository URL without credentials (they are used by git, never shown).
    /// </summary>
    private Project WithSandbox(Project p) => p with
    {
        Sandboxed = _ctx.Sandbox.IsSandboxed && p.ServiceUser is not null, Repository = RepositoryUrl.Redact(p.Repository),
    };

    public Project UpdateProject(string name, ProjectUpdate update)
    {
        // As stored, with the real repository URL (the shown form has its credentials redacted).
        var stored = _ctx.Db.Read(c => ProjectStore.Get(c, Names.ProjectName(name)));
        var storedCredential = RepositoryCredentials.ForStorage(RepositoryCredentials.ForGit(_ctx, stored)).UserInfo;
        var current = stored with { Repository = RepositoryCredentials.ForGit(_ctx, stored) };
        var next = current with
        {
            // A URL that repeats the shown *** keeps the stored credentials.
            Repository = update.Repository is { } r ? RepositoryCredentials.WithUserInfo(RepositoryUrl.Validate(r), storedCredential) : current.Repository,
            Branch = update.Branch is { } b ? Names.Branch(b) : current.Branch,
            Path = update.Path is { } p ? ValidPath(p) : current.Path,
            Port = update.ClearPort ? null : update.Port is { } port ? Names.Port(port) : current.Port,
            InstallTimeout = update.InstallTimeout is { } it ? Names.Timeout(it, "install timeout") : current.InstallTimeout,
            HealthTimeout = update.HealthTimeout is { } ht ? Names.Timeout(ht, "health timeout") : current.HealthTimeout,
            AllowSudoDuringInstall = update.AllowSudoDuringInstall ?? current.AllowSudoDuringInstall,
        };
        if (next.Repository != current.Repository || next.Branch != current.Branch) EnsureBranchExists(next.Repository, next.Branch);
        var (storedRepository, credential) = RepositoryCredentials.ForStorage(next.Repository);
        _ctx.Db.Write(c =>
        {
            EnsureFree(c, next, isNew: false);
            ProjectStore.UpdateSettings(c, next with { Repository = storedRepository });
        });
        if (credential != storedCredential) RepositoryCredentials.Save(_ctx, stored.Name, credential);
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
        if (_ctx.Db.Read(c => ProjectStore.GetApp(c, project.Name)) is { } app && ProcFs.IsAlive(app.Pid, app.StartTicks))
            ProcessStopper.StopGroupAsync(app.Pgid, _ctx.Options.StopGracePeriod).GetAwaiter().GetResult();
        _ctx.Db.Write(c => ProjectStore.Delete(c, project.Name));
        if (removeServiceUser && project.ServiceUser is { } user && _ctx.Sandbox.IsSandboxed
            && Sandbox.ServiceUserName.IsManaged(user))
        {
            // userdel refuses an account that still runs processes (a daemon that left the app's group, say).
            var account = _ctx.Sandbox.ResolveAccount(user);
            AccountProcesses.KillAll(account.Uid);
            _ctx.Sandbox.RemoveAccount(user);
        }
        return project;
    }

    private string ValidPath(string? path)
    {
        if (string.IsNullOrWhiteSpace(path) || path.Any(char.IsControl))
            throw new CicdException(CicdError.InvalidPath, "Invalid path: give the directory the working tree lives in.", path);
        var full = System.IO.Path.GetFullPath(path).TrimEnd('/');
        if (full.Length == 0 || full == "/" || full.Count(ch => ch == '/') < 2 && IsSystemRoot(full))
            throw new CicdException(CicdError.InvalidPath, $"Invalid path '{full}': choose a directory of its own for the working tree.", path);
        if (_ctx.Layout.Contains(full) || full.Length <= DataPath.Length && DataPath.StartsWith(full + "/", StringComparison.Ordinal))
            throw new CicdException(CicdError.InvalidPath, $"Invalid path '{full}': it overlaps the data directory {DataPath}.", path);
        // The tree is handed to the project's account at each deploy: refuse now what would be refused then.
        if (_ctx.Sandbox.IsSandboxed && OperatingSystem.IsLinux()) Sandbox.ProjectPathPermissions.CheckPlacement(full, new[] { DataPath });
        return full;
    }

    private static bool IsSystemRoot(string full) =>
        new[] { "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/proc", "/root", "/sbin", "/sys", "/tmp", "/usr", "/var" }.Contains(full);

    private static void EnsureFree(Microsoft.Data.Sqlite.SqliteConnection c, Project p, bool isNew)
    {
        if (isNew && ProjectStore.Find(c, p.Name) is not null)
            throw new CicdException(CicdError.ProjectExists, $"A project named '{p.Name}' already exists.", p.Name,
                "Change it with Set-CicdProject / cicdops project set, or choose another name.");
        var clash = ProjectStore.All(c).FirstOrDefault(o => o.Name != p.Name && o.Path == p.Path);
        if (clash is not null)
            throw new CicdException(CicdError.InvalidPath, $"Path '{p.Path}' is already the working tree of project '{clash.Name}'.", p.Path);
    }

    private static void EnsureBranchExists(string repository, string branch)
    {
        if (!Checkout.BranchExistsAsync(new GitCli(), repository, branch, CancellationToken.None).GetAwaiter().GetResult())
            throw new CicdException(CicdError.InvalidBranch, $"Branch '{branch}' does not exist in '{RepositoryUrl.Redact(repository)}'.", branch,
                "Push the branch first, or pass the right one with -Branch / --branch.");
    }
}
