namespace CicdOps.Engine.Sandbox;

/// <summary>
/// No sandbox: the engine is not root (or not on Linux), so projects run as the engine's own account.
/// The environment is still built clean; nothing is chowned, no accounts or sudo grants are made.
/// </summary>
internal sealed class CurrentUserSandbox : IProjectSandbox
{
    private readonly ServiceAccount _self;

    private readonly string[] _protectedPaths;

    public CurrentUserSandbox(string reason, params string[] protectedPaths)
    {
        _protectedPaths = protectedPaths;
        var uid = OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() ? UnixIds.EffectiveUid : 0u;
        var gid = OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() ? UnixIds.EffectiveGid : 0u;
        _self = new ServiceAccount(Environment.UserName, uid, gid, Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));
        Warning = $"{reason}: projects run as {_self.Name}, not sandboxed";
    }

    public bool IsSandboxed => false;
    public string? Warning { get; }

    public ServiceAccount EnsureAccount(string projectName, string? requestedUser) => _self;
    public ServiceAccount ResolveAccount(string? serviceUser) => _self;
    public void RemoveAccount(string serviceUser) { }
    public void PrepareProjectPath(string projectPath, ServiceAccount account) { }
    public void PrepareCheckedProjectPath(string checkedPath, ServiceAccount account) { }
    public void ReleaseProjectPath(string projectPath) { }

    // Nothing is chowned here, but a system location is still no place for a project.
    public string CheckProjectPath(ProjectPathCheck check)
    {
        if (OperatingSystem.IsLinux()) return ProjectPathPolicy.Place(check.Path, _protectedPaths);
        var full = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(check.Path));
        if (System.IO.Path.GetPathRoot(full) == full || _protectedPaths.Any(p => PathOverlap.Between(full, System.IO.Path.GetFullPath(p))))
            throw new CicdException(CicdError.InvalidPath, $"Invalid path '{full}': choose a directory of its own for the working tree.", check.Path);
        return full;
    }

    public void SecureDataDirectory(string dataPath)
    {
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()) DataDirectoryPermissions.Enforce(dataPath);
    }

    public LaunchPlan PlanLaunch(ServiceAccount account, IReadOnlyDictionary<string, string>? engineVariables,
        IReadOnlyDictionary<string, string>? secrets, bool allowSudo = false) =>
        new(Array.Empty<string>(), LaunchEnvironment.Build(_self, engineVariables, secrets), _self);

    public IDisposable GrantSudo(ServiceAccount account, IReadOnlyList<string> commands) => NoGrant.Instance;
    public int RemoveStaleSudoGrants() => 0;

    private sealed class NoGrant : IDisposable
    {
        public static readonly NoGrant Instance = new();
        public void Dispose() { }
    }
}
