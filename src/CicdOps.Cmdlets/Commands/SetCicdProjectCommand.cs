using System.Management.Automation;
using System.Security;
using CicdOps.Cmdlets.Completion;
using CicdOps.Cmdlets.Infrastructure;
using CicdOps.Engine.Model;

namespace CicdOps.Cmdlets.Commands;

/// <summary>Set-CicdProject: changes a registered project's settings; unnamed settings stay as they are.</summary>
[Cmdlet(VerbsCommon.Set, "CicdProject", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = ParameterSets.ByInputObject)]
[OutputType(typeof(Project))]
public sealed class SetCicdProjectCommand : CicdCmdlet
{
    [Parameter(ParameterSetName = ParameterSets.ByName, Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ProjectNameCompleter))]
    public string[] Name { get; set; } = null!;

    [Parameter(ParameterSetName = ParameterSets.ByInputObject, Mandatory = true, ValueFromPipeline = true)]
    /// <summary>Projects from Get-CicdProject (the default set, so a piped Project binds by value).</summary>
    public Project[] InputObject { get; set; } = null!;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Repository { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Branch { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    [Parameter]
    public int? Port { get; set; }

    /// <summary>Allow a -Port below 1024 (refused otherwise: such ports belong to system services such as ssh).</summary>
    [Parameter]
    public SwitchParameter AllowPrivilegedPort { get; set; }

    /// <summary>Remove the project's port.</summary>
    [Parameter]
    public SwitchParameter ClearPort { get; set; }

    [Parameter]
    public TimeSpan? InstallTimeout { get; set; }

    [Parameter]
    public TimeSpan? HealthTimeout { get; set; }

    /// <summary>How often the listener's watchdog runs .cicd/health.sh for the running app (1 second to 1 hour; default 30 s).</summary>
    [Parameter]
    public TimeSpan? HealthInterval { get; set; }

    /// <summary>Replaces the commands install.sh may run as root through sudo ('ALL' alone for everything).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? SudoCommand { get; set; }

    /// <summary>Removes every sudo command: install.sh gets no sudo.</summary>
    [Parameter]
    public SwitchParameter ClearSudoCommand { get; set; }

    /// <summary>Releases to keep: 1 or more turns release directories on (the next deploy migrates the tree), 0 off.</summary>
    [Parameter]
    public int? KeepReleases { get; set; }

    /// <summary>$true: deploy a commit only after its pipeline run succeeded; $false: deploy without running it.</summary>
    [Parameter]
    public bool? RequirePipeline { get; set; }

    /// <summary>Replaces the paths kept in shared/ and linked into every release.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? SharedPath { get; set; }

    /// <summary>Removes every shared path.</summary>
    [Parameter]
    public SwitchParameter ClearSharedPath { get; set; }

    /// <summary>The project's own webhook secret; it overrides the listener's global secret for this project.</summary>
    [Parameter]
    public SecureString? WebhookSecret { get; set; }

    /// <summary>Remove the project's own webhook secret (the listener's global secret applies again).</summary>
    [Parameter]
    public SwitchParameter ClearWebhookSecret { get; set; }

    /// <summary>The webhook events that run the project's pipeline: push, pull_request, tag (none alone: no event).</summary>
    [Parameter]
    [ValidateSet("push", "pull_request", "tag", "none")]
    public string[]? PipelineEvents { get; set; }

    /// <summary>The forge API commit statuses go to (https://HOST/api/v3, /api/v4 or /api/v1), for a self-hosted forge.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CommitStatusApi { get; set; }

    /// <summary>Derive the commit status API from the repository URL again.</summary>
    [Parameter]
    public SwitchParameter ClearCommitStatusApi { get; set; }

    /// <summary>The forge token pipeline runs report commit statuses with; stored sealed, never shown.</summary>
    [Parameter]
    public SecureString? CommitStatusToken { get; set; }

    /// <summary>Remove the commit status token: no statuses are sent.</summary>
    [Parameter]
    public SwitchParameter ClearCommitStatusToken { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        if (CommitStatusToken is not null && ClearCommitStatusToken)
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("Give either -CommitStatusToken or -ClearCommitStatusToken, not both."),
                "CicdInvalidArgument", ErrorCategory.InvalidArgument, null));
        if (CommitStatusApi is not null && ClearCommitStatusApi)
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("Give either -CommitStatusApi or -ClearCommitStatusApi, not both."),
                "CicdInvalidArgument", ErrorCategory.InvalidArgument, null));
        if (WebhookSecret is not null && ClearWebhookSecret)
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("Give either -WebhookSecret or -ClearWebhookSecret, not both."),
                "CicdInvalidArgument", ErrorCategory.InvalidArgument, null));
        if (SudoCommand is not null && ClearSudoCommand)
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("Give either -SudoCommand or -ClearSudoCommand, not both."),
                "CicdInvalidArgument", ErrorCategory.InvalidArgument, null));
        if (SharedPath is not null && ClearSharedPath)
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("Give either -SharedPath or -ClearSharedPath, not both."),
                "CicdInvalidArgument", ErrorCategory.InvalidArgument, null));
        var update = new ProjectUpdate
        {
            Repository = Repository,
            Branch = Branch,
            Path = Path is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path),
            Port = Port,
            AllowPrivilegedPort = AllowPrivilegedPort.IsPresent,
            ClearPort = ClearPort.IsPresent,
            InstallTimeout = InstallTimeout,
            HealthTimeout = HealthTimeout,
            HealthInterval = HealthInterval,
            SudoCommands = SudoCommand,
            ClearSudoCommands = ClearSudoCommand.IsPresent,
            KeepReleases = KeepReleases,
            RequirePipeline = RequirePipeline,
            SharedPaths = ClearSharedPath ? Array.Empty<string>() : SharedPath,
            PipelineEvents = PipelineEvents,
            CommitStatusApi = CommitStatusApi,
            ClearCommitStatusApi = ClearCommitStatusApi.IsPresent,
        };
        var names = ParameterSetName == ParameterSets.ByInputObject ? InputObject.Select(p => p.Name) : Name;
        foreach (var name in names)
        {
            if (!ShouldProcess(name, "Update project settings")) continue;
            TryInvoke(() =>
            {
                var project = Engine.UpdateProject(name, update);
                WarnIfSudoAll(project);
                if (ClearWebhookSecret) Engine.RemoveProjectWebhookSecret(name);
                if (WebhookSecret is not null)
                {
                    var bytes = WebhookSecrets.FromSecureString(WebhookSecret) ?? Array.Empty<byte>();
                    try { Engine.SetProjectWebhookSecret(name, bytes); }
                    finally { Array.Clear(bytes); }
                }
                if (ClearCommitStatusToken) Engine.RemoveCommitStatusToken(name);
                if (CommitStatusToken is not null)
                {
                    var bytes = WebhookSecrets.FromSecureString(CommitStatusToken) ?? Array.Empty<byte>();
                    try { Engine.SetCommitStatusToken(name, bytes); }
                    finally { Array.Clear(bytes); }
                }
                if (PassThru) WriteObject(project);
            });
        }
    }
}
