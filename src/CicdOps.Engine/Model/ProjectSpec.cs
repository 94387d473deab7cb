namespace CicdOps.Engine.Model;

/// <summary>What a user supplies to register a project. Validated by the engine, never trusted.</summary>
public sealed record ProjectSpec
{
    public required string Name { get; init; }
    public required string Repository { get; init; }
    public required string Path { get; init; }
    public string Branch { get; init; } = ProjectDefaults.Branch;
    public int? Port { get; init; }
    public TimeSpan? InstallTimeout { get; init; }
    public TimeSpan? HealthTimeout { get; init; }
    /// <summary>How often the listener's watchdog runs health.sh (default 30 s).</summary>
    public TimeSpan? HealthInterval { get; init; }
    public string? ServiceUser { get; init; }
    /// <summary>Commands install.sh may run through sudo (see <see cref="Sandbox.SudoCommands"/>); none by default.</summary>
    public IReadOnlyList<string>? SudoCommands { get; init; }
    /// <summary>Consent to a port below 1024 (refused otherwise: it is usually a system service's).</summary>
    public bool AllowPrivilegedPort { get; init; }
    /// <summary>Releases kept (release directories and a current link); null: <see cref="ProjectDefaults.KeepReleases"/>; 0: one working tree updated in place.</summary>
    public int? KeepReleases { get; init; }
    /// <summary>Paths kept in shared/ and linked into every release (a trailing / marks a directory).</summary>
    public IReadOnlyList<string>? SharedPaths { get; init; }
    /// <summary>Deploy a commit only after its pipeline run succeeded.</summary>
    public bool RequirePipeline { get; init; }
    /// <summary>The webhook events that run the pipeline (push, pull_request, tag; "none" alone for nothing); null: push.</summary>
    public IReadOnlyList<string>? PipelineEvents { get; init; }
    /// <summary>The forge API base commit statuses go to (see <see cref="Project.CommitStatusApi"/>); null: derived.</summary>
    public string? CommitStatusApi { get; init; }
}

/// <summary>A partial change to a project: null means "leave as it is".</summary>
public sealed record ProjectUpdate
{
    public string? Repository { get; init; }
    public string? Branch { get; init; }
    public string? Path { get; init; }
    /// <summary>Set a port; use <see cref="ClearPort"/> to remove it.</summary>
    public int? Port { get; init; }
    public bool ClearPort { get; init; }
    public TimeSpan? InstallTimeout { get; init; }
    public TimeSpan? HealthTimeout { get; init; }
    public TimeSpan? HealthInterval { get; init; }
    /// <summary>Replaces the sudo commands; an empty list (or <see cref="ClearSudoCommands"/>) removes them all.</summary>
    public IReadOnlyList<string>? SudoCommands { get; init; }
    public bool ClearSudoCommands { get; init; }
    /// <summary>Consent to a new <see cref="Port"/> below 1024. Not a setting: it changes nothing by itself.</summary>
    public bool AllowPrivilegedPort { get; init; }
    /// <summary>Releases kept (1 or more turns release directories on; 0 keeps one working tree updated in place).</summary>
    public int? KeepReleases { get; init; }
    /// <summary>Replaces the shared paths; an empty list removes them all.</summary>
    public IReadOnlyList<string>? SharedPaths { get; init; }
    /// <summary>Turns the pipeline gate on or off (see <see cref="Project.RequirePipeline"/>).</summary>
    public bool? RequirePipeline { get; init; }
    /// <summary>Replaces the pipeline's event subscriptions (push, pull_request, tag; "none" alone for nothing).</summary>
    public IReadOnlyList<string>? PipelineEvents { get; init; }
    /// <summary>Sets the forge API base commit statuses go to; see <see cref="ClearCommitStatusApi"/>.</summary>
    public string? CommitStatusApi { get; init; }
    /// <summary>Derive the commit status API from the repository URL again.</summary>
    public bool ClearCommitStatusApi { get; init; }

    public bool IsEmpty =>
        Repository is null && Branch is null && Path is null && Port is null && !ClearPort &&
        InstallTimeout is null && HealthTimeout is null && HealthInterval is null && SudoCommands is null && !ClearSudoCommands &&
        KeepReleases is null && SharedPaths is null && RequirePipeline is null && PipelineEvents is null && CommitStatusApi is null && !ClearCommitStatusApi;
}
