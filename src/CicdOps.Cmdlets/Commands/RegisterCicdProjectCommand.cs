using System.Management.Automation;
using CicdOps.Cmdlets.Infrastructure;
using CicdOps.Engine.Model;

namespace CicdOps.Cmdlets.Commands;

/// <summary>Register-CicdProject: adds a project (repository, branch, working tree) to the registry.</summary>
[Cmdlet(VerbsLifecycle.Register, "CicdProject", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(Project), typeof(Deployment))]
public sealed class RegisterCicdProjectCommand : CicdCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = null!;

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Repository { get; set; } = null!;

    [Parameter(Mandatory = true, Position = 2, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = null!;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Branch { get; set; } = ProjectDefaults.Branch;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int? Port { get; set; }

    /// <summary>Allow a -Port below 1024 (refused otherwise: such ports belong to system services such as ssh).</summary>
    [Parameter]
    public SwitchParameter AllowPrivilegedPort { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public TimeSpan? InstallTimeout { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public TimeSpan? HealthTimeout { get; set; }

    /// <summary>How often the listener's watchdog runs .cicd/health.sh for the running app (1 second to 1 hour; default 30 s).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public TimeSpan? HealthInterval { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? ServiceUser { get; set; }

    /// <summary>Commands install.sh may run as root through sudo while it runs (absolute paths, optional fixed arguments; 'ALL' alone for everything).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[]? SudoCommand { get; set; }

    /// <summary>Release directories to keep, 1-100 (default 5); 0: one working tree updated in place.</summary>
    [Parameter]
    public int? KeepReleases { get; set; }

    /// <summary>Paths kept in shared/ and linked into every release (a trailing / for a directory).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? SharedPath { get; set; }

    /// <summary>Deploy a commit only after its pipeline run succeeded; a failed run skips the deploy.</summary>
    [Parameter]
    public SwitchParameter RequirePipeline { get; set; }

    /// <summary>The webhook events that run the project's pipeline: push, pull_request, tag (none alone: no event). Default: push.</summary>
    [Parameter]
    [ValidateSet("push", "pull_request", "tag", "none")]
    public string[]? PipelineEvents { get; set; }

    /// <summary>The forge API commit statuses go to (https://HOST/api/v3, /api/v4 or /api/v1), for a self-hosted forge.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CommitStatusApi { get; set; }

    /// <summary>Queue a first deployment right after registering (not waited for).</summary>
    [Parameter]
    public SwitchParameter Deploy { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        if (!ShouldProcess(Name, $"Register project from {Repository} ({Branch}) into {Path}")) return;
        WarnIfNotSandboxed();
        var spec = new ProjectSpec
        {
            Name = Name,
            Repository = Repository,
            // The working tree path is a PowerShell path: resolve it against the current location.
            Path = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path),
            Branch = Branch,
            Port = Port,
            AllowPrivilegedPort = AllowPrivilegedPort.IsPresent,
            InstallTimeout = InstallTimeout,
            HealthTimeout = HealthTimeout,
            HealthInterval = HealthInterval,
            ServiceUser = ServiceUser,
            SudoCommands = SudoCommand,
            KeepReleases = KeepReleases,
            RequirePipeline = RequirePipeline.IsPresent,
            SharedPaths = SharedPath,
            PipelineEvents = PipelineEvents,
            CommitStatusApi = CommitStatusApi,
        };
        TryInvoke(() =>
        {
            var project = Engine.RegisterProject(spec);
            WarnIfSudoAll(project);
            if (PassThru) WriteObject(project);
            if (Deploy) WriteObject(Engine.RequestDeployment(new DeploymentRequest { Project = project.Name }));
        });
    }
}
