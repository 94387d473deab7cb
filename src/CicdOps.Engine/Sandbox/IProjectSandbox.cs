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
    /// At the first deploy (never at registration, so projects that never deploy leave no accounts): the
    /// account <paramref name="requestedUser"/> names (validated, must exist, never root), or a new dedicated
    /// one for <paramref name="projectName"/> when null. Store its Name as the project's ServiceUser.
    /// </summary>
    ServiceAccount EnsureAccount(string projectName, string? requestedUser);

    /// <summary>At each deploy: the account stored as the project's ServiceUser (null: the engine's own when unsandboxed).</summary>
    ServiceAccount ResolveAccount(string? serviceUser);

    /// <summary>At unregistration, only when asked: deletes an account CicdOps created (never one a user named).</summary>
    void RemoveAccount(string serviceUser);

    /// <summary>
    /// At registration, at every change of path, repository or user, and before each deploy touches the
    /// tree: refuses a path the project must not have (see <see cref="ProjectPathPolicy"/>) before anything
    /// changes. Returns the path to store (absolute, links resolved).
    /// </summary>
    string CheckProjectPath(ProjectPathCheck check);

    /// <summary>Before the project's account is deleted: its tree goes back to root (uids get reused).</summary>
    void ReleaseProjectPath(string projectPath);

    /// <summary>Before each deploy (after git sync, before install): the project's tree to its account, root 0750.</summary>
    void PrepareProjectPath(string projectPath, ServiceAccount account);

    /// <summary>
    /// The same, for the path <see cref="CheckProjectPath"/> just returned (placed and checked): not placed again
    /// (that reads every account's home), only checked to be a real directory still.
    /// </summary>
    void PrepareCheckedProjectPath(string checkedPath, ServiceAccount account);

    /// <summary>At engine start (after Database.Initialize): data directory 0700, database and key 0600.</summary>
    void SecureDataDirectory(string dataPath);

    /// <summary>
    /// How to start install/run/health (and git) as <paramref name="account"/> with a clean environment of
    /// engine variables and secrets. <paramref name="allowSudo"/> only for install.sh inside a
    /// <see cref="GrantSudo"/> scope: otherwise the process cannot gain privileges (no_new_privs).
    /// </summary>
    LaunchPlan PlanLaunch(ServiceAccount account, IReadOnlyDictionary<string, string>? engineVariables,
        IReadOnlyDictionary<string, string>? secrets, bool allowSudo = false);

    /// <summary>
    /// Passwordless sudo for <paramref name="account"/>, limited to <paramref name="commands"/> (validated
    /// <see cref="SudoCommands"/>), until disposed: wrap install.sh when the project names commands.
    /// </summary>
    IDisposable GrantSudo(ServiceAccount account, IReadOnlyList<string> commands);

    /// <summary>
    /// At engine start and periodically in the listener: removes sudo grants whose holder process died
    /// (live holders keep theirs). Returns how many.
    /// </summary>
    int RemoveStaleSudoGrants();
}

/// <summary>What <see cref="IProjectSandbox.CheckProjectPath"/> checks a path for.</summary>
/// <param name="ServiceUser">The project's account, when it has one already (named, or created at a deploy).</param>
/// <param name="AtDeploy">Before a deploy: a tree already owned by the project's account is its own checkout.</param>
/// <param name="Account">The account <paramref name="ServiceUser"/> names, when the caller looked it up already (a deploy): not looked up again.</param>
internal sealed record ProjectPathCheck(string Path, string Project, string Repository, string? ServiceUser, bool AtDeploy = false, ServiceAccount? Account = null);
