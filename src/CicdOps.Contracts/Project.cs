namespace CicdOps;

/// <summary>What the engine knows about one registered project (a snapshot; immutable).</summary>
public sealed record Project
{
    public required string Name { get; init; }
    public required string Repository { get; init; }
    public required string Branch { get; init; }
    public required string Path { get; init; }
    public int? Port { get; init; }
    public TimeSpan InstallTimeout { get; init; } = ProjectDefaults.InstallTimeout;
    public TimeSpan HealthTimeout { get; init; } = ProjectDefaults.HealthTimeout;
    /// <summary>How often the listener's watchdog runs health.sh for the running app.</summary>
    public TimeSpan HealthInterval { get; init; } = ProjectDefaults.HealthInterval;
    public ProjectStatus Status { get; init; } = ProjectStatus.Registered;
    public string? CurrentCommit { get; init; }
    public string? LastGoodCommit { get; init; }
    public string? PinnedCommit { get; init; }
    public string? InstallScriptHash { get; init; }
    /// <summary>
    /// The account install/run/health run as. Null: not made yet (as root, a dedicated one is created at
    /// the first deploy), or, not sandboxed, the engine's own account.
    /// </summary>
    public string? ServiceUser { get; init; }
    /// <summary>
    /// What install.sh may run through sudo (as root, no password) while it runs: absolute program paths,
    /// optionally with fixed arguments, or the single entry "ALL" for everything. Empty: no sudo at all.
    /// </summary>
    public IReadOnlyList<string> SudoCommands
    {
        get => _sudoCommands;
        // Wrapped so two snapshots with the same commands are equal records (a plain list compares by reference).
        init => _sudoCommands = new ValueList<string>(value ?? Array.Empty<string>());
    }

    private readonly ValueList<string> _sudoCommands = ValueList<string>.Empty;
    /// <summary>
    /// How many release directories (releases/&lt;time&gt;-&lt;sha&gt; beside repo/, shared/ and the current link) are kept;
    /// 0: the path is one working tree updated in place (the layout before releases, now only when asked for).
    /// </summary>
    public int KeepReleases { get; init; } = ProjectDefaults.KeepReleases;
    /// <summary>Deploys (pushes and manual ones) first run the commit's pipeline; only a Succeeded run lets the deploy go on.</summary>
    public bool RequirePipeline { get; init; }
    /// <summary>
    /// The events that run the project's pipeline when a webhook delivers them: "push" (its branch), "pull_request"
    /// (pull/merge requests into its branch; never deployed) and "tag". Default: push. The pipeline file's own `events` filters too.
    /// </summary>
    public IReadOnlyList<string> PipelineEvents
    {
        get => _pipelineEvents;
        init => _pipelineEvents = new ValueList<string>(value ?? Array.Empty<string>());
    }

    private readonly ValueList<string> _pipelineEvents = new(new[] { "push" });
    /// <summary>
    /// The forge API commit statuses go to (https://HOST/api/v3 GitHub Enterprise, /api/v4 GitLab, /api/v1 Gitea or Forgejo);
    /// null: derived from the repository URL. Statuses are sent only when the project has a status token.
    /// </summary>
    public string? CommitStatusApi { get; init; }
    /// <summary>Paths relative to a release (a trailing / marks a directory) kept in shared/ and linked into every release.</summary>
    public IReadOnlyList<string> SharedPaths
    {
        get => _sharedPaths;
        init => _sharedPaths = new ValueList<string>(value ?? Array.Empty<string>());
    }

    private readonly ValueList<string> _sharedPaths = ValueList<string>.Empty;
    /// <summary>
    /// True when the project's scripts run as its own account; false when the engine is not root (or the
    /// project has no account), so they run as the engine's user. Computed by the engine when read.
    /// </summary>
    public bool Sandboxed { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    public bool IsPinned => PinnedCommit is not null;
}

public static class ProjectDefaults
{
    public static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(30);
    public static readonly TimeSpan HealthTimeout = TimeSpan.FromSeconds(15);
    /// <summary>How often the watchdog runs health.sh for a running app (a process-tracked app is also checked at each sample).</summary>
    public static readonly TimeSpan HealthInterval = TimeSpan.FromSeconds(30);
    public const string Branch = "main";
    /// <summary>The number of releases a project keeps unless it says otherwise (0 asks for one working tree updated in place).</summary>
    public const int KeepReleases = 5;
}

public enum ProjectStatus
{
    /// <summary>Registered, never deployed.</summary>
    Registered,
    Deploying,
    /// <summary>The current commit passed its health check.</summary>
    Healthy,
    /// <summary>The last deployment failed and nothing healthy is running.</summary>
    Failed,
    /// <summary>Stopped on purpose (a cancelled deployment, or the app was stopped).</summary>
    Stopped,
    /// <summary>The app died or its health check failed after it was healthy; the listener's watchdog is restarting it.</summary>
    Unhealthy,
}
