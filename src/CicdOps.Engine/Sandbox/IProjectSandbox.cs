namespace CicdOps.Engine.Sandbox;

/// <summary>
/// Everything platform-specific about running a project with least privilege, behind one seam.
/// <see cref="ProjectSandboxFactory.Create"/> picks the implementation: root on Linux gets
/// <see cref="UnixProjectSandbox"/>; anything else gets <see cref="CurrentUserSandbox"/>, which runs
/// projects as the engine's own account and says so once per session through <see cref="Warning"/>.
/// A Windows implementation would slot in here.
/// </summary>
internal interface IProjectSandbox
{
    /// <summary>True when projects run as their own accounts.</summary>
    bool IsSandboxed { get; }

    /// <summary>One line to show once per session when not sandboxed; null when sandboxed.</summary>
    string? Warning { get; }

    /// <summary>
    /// At registration: the account <paramref name="requestedUser"/> names (validated, must exist, never
    /// root), or a new dedicated one for <paramref name="projectName"/> when null. Store its Name as the
    /// project's ServiceUser.
    /// </summary>
    ServiceAccount EnsureAccount(string projectName, string? requestedUser);

    /// <summary>At each deploy: the account stored as the project's ServiceUser (null: the engine's own when unsandboxed).</summary>
    ServiceAccount ResolveAccount(string? serviceUser);

    /// <summary>At unregistration, only when asked: deletes an account CicdOps created (never one a user named).</summary>
    void RemoveAccount(string serviceUser);

    /// <summary>Before each deploy (after git sync, before install): the project's tree to its account, root 0750.</summary>
    void PrepareProjectPath(string projectPath, ServiceAccount account);

    /// <summary>At engine start (after Database.Initialize): data directory 0700, database and key 0600.</summary>
    void SecureDataDirectory(string dataPath);

    /// <summary>
    /// How to start install/run/health (and git) as <paramref name="account"/> with a clean environment of
    /// engine variables and secrets. <paramref name="allowSudo"/> only for install.sh inside a
    /// <see cref="GrantSudo"/> scope: otherwise the process cannot gain privileges (no_new_privs).
    /// </summary>
    LaunchPlan PlanLaunch(ServiceAccount account, IReadOnlyDictionary<string, string>? engineVariables,
        IReadOnlyDictionary<string, string>? secrets, bool allowSudo = false);

    /// <summary>Passwordless sudo for <paramref name="account"/> until disposed (wrap install.sh when the project allows it).</summary>
    IDisposable GrantSudo(ServiceAccount account);

    /// <summary>At engine start: removes sudo grants a crashed engine process left behind (live holders keep theirs).</summary>
    int RemoveStaleSudoGrants();
}
