using System.Runtime.Versioning;

namespace CicdOps.Engine.Sandbox;

/// <summary>
/// Linux, engine running as root: each project runs as its own system account through
/// <c>setpriv --reuid --regid --init-groups</c> (util-linux), without capabilities, and with no_new_privs
/// and an empty bounding set unless sudo was granted for install.sh.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class UnixProjectSandbox : IProjectSandbox
{
    private readonly UnixAccounts _accounts;
    private readonly SudoGrants _sudo;
    private readonly string _setpriv;
    private readonly string[] _protectedPaths;

    /// <param name="homeRoot">Parent of created accounts' homes (default /var/lib/cicdops-home).</param>
    /// <param name="sudoersDirectory">Where sudo grants go (default /etc/sudoers.d).</param>
    /// <param name="protectedPaths">Directories no project path may overlap (the data directory).</param>
    public UnixProjectSandbox(string? homeRoot = null, string? sudoersDirectory = null, params string[] protectedPaths)
    {
        _accounts = new UnixAccounts(homeRoot);
        _sudo = new SudoGrants(sudoersDirectory);
        _setpriv = ToolRunner.Require("setpriv");
        // The homes hold each account's own files (and run directory): no project tree may overlap them either.
        _protectedPaths = protectedPaths.Append(_accounts.HomeRoot).ToArray();
    }

    public bool IsSandboxed => true;
    public string? Warning => null;
    internal UnixAccounts Accounts => _accounts;
    internal SudoGrants Sudo => _sudo;

    public ServiceAccount EnsureAccount(string projectName, string? requestedUser) =>
        requestedUser is null ? _accounts.Create(projectName) : _accounts.RequireExisting(requestedUser);

    public ServiceAccount ResolveAccount(string? serviceUser) =>
        serviceUser is null
            ? throw new CicdException(CicdError.ServiceUserFailed, "The project has no service user; register it again or set one.", null)
            : _accounts.RequireExisting(serviceUser);

    public void RemoveAccount(string serviceUser)
    {
        if (ServiceUserName.IsManaged(serviceUser) && _accounts.Find(serviceUser) is { } account)
            SharedTempFiles.GiveToRoot(account.Uid); // uids get reused: nothing of this one's may be inherited
        _accounts.Remove(serviceUser); // refuses accounts CicdOps did not create
        _sudo.Revoke(serviceUser);
    }

    public void PrepareProjectPath(string projectPath, ServiceAccount account) =>
        ProjectPathPermissions.Realign(projectPath, account, _protectedPaths);

    public void PrepareCheckedProjectPath(string checkedPath, ServiceAccount account) => ProjectPathPermissions.RealignChecked(checkedPath, account);

    public void ReleaseProjectPath(string projectPath) => ProjectPathPermissions.ReturnToRoot(projectPath, _protectedPaths);

    public string CheckProjectPath(ProjectPathCheck check)
    {
        var full = ProjectPathPolicy.Place(check.Path, _protectedPaths);
        // Stored with its links resolved: leading elsewhere now means a link was swapped in since.
        if (check.AtDeploy && full != SystemPaths.Normalize(check.Path))
            throw new CicdException(CicdError.InvalidPath,
                $"The project path '{check.Path}' now leads to '{full}' through a symbolic link; refusing to touch it.", check.Path,
                "Restore the directory, or point the project at the real one: cicdops project set NAME --path DIR / Set-CicdProject -Path.");
        var account = check.ServiceUser is null ? null
            : check.Account is { } known && known.Name == check.ServiceUser ? known : _accounts.RequireExisting(check.ServiceUser);
        ProjectPathPolicy.RequireReachable(full, account, _accounts);
        ProjectPathPolicy.RequireEmptyOrOwnCheckout(full, check.Project, check.Repository, account,
            account is null ? null : PlanLaunch(account, null, null), check.AtDeploy);
        return full;
    }

    public void SecureDataDirectory(string dataPath) => DataDirectoryPermissions.Enforce(dataPath);

    public LaunchPlan PlanLaunch(ServiceAccount account, IReadOnlyDictionary<string, string>? engineVariables,
        IReadOnlyDictionary<string, string>? secrets, bool allowSudo = false)
    {
        if (account.Uid == 0 || account.Gid == 0)
            throw new CicdException(CicdError.ServiceUserFailed, $"Refusing to run a project as root ('{account.Name}').", account.Name);
        var prefix = new List<string>
        {
            // Leaving uid 0 clears permitted/effective/ambient capabilities; inheritable ones are dropped explicitly.
            _setpriv, $"--reuid={account.Uid}", $"--regid={account.Gid}", "--init-groups", "--inh-caps=-all",
        };
        if (!allowSudo)
        {
            // no_new_privs: setuid binaries (sudo, su…) and file capabilities cannot raise privileges;
            // an empty bounding set makes that hold even if no_new_privs were lifted somehow.
            prefix.Add("--no-new-privs");
            prefix.Add("--bounding-set=-all");
        }
        prefix.Add("--");
        return new LaunchPlan(prefix, LaunchEnvironment.Build(account, engineVariables, secrets), account)
        {
            Drop = new AccountDrop(account, NoNewPrivs: !allowSudo),
        };
    }

    public IDisposable GrantSudo(ServiceAccount account, IReadOnlyList<string> commands) => _sudo.Grant(account, commands);

    public int RemoveStaleSudoGrants() => _sudo.RemoveStale();
}
