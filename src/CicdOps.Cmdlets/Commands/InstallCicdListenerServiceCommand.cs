using System.Globalization;
using System.Management.Automation;
using CicdOps.Cmdlets.Infrastructure;
using CicdOps.Cmdlets.Output;
using CicdOps.Engine;
using CicdOps.Engine.Listener;
using CicdOps.Engine.Service;

namespace CicdOps.Cmdlets.Commands;

/// <summary>
/// Install-CicdListenerService: writes the systemd unit that runs `cicdops listen` as a service — the same unit,
/// command line, environment file and hints as `cicdops service install` (both come from the engine's
/// ListenerServiceInstall). With -WhatIf or -DryRun the unit is output and every hint printed, nothing written.
/// </summary>
[Cmdlet(VerbsLifecycle.Install, "CicdListenerService", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(ListenerServiceUnit))]
public sealed class InstallCicdListenerServiceCommand : CicdCmdlet
{
    public const string CicdOpsNotFoundErrorId = "CicdExecutableNotFound";
    public const string WriteFailedErrorId = "CicdServiceUnitWriteFailed";
    public const string NotInstalledErrorId = "CicdExecutableNotInstalled";

    /// <summary>Where the unit is written.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = SystemdUnit.DefaultPath;

    /// <summary>The `cicdops` executable the service runs; the module's own (bin/&lt;rid&gt;/cicdops) when omitted.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CicdOpsPath { get; set; }

    [Parameter]
    [ValidateRange(1, 65535)]
    public int Port { get; set; } = ListenerOptions.DefaultPort;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string BindAddress { get; set; } = ListenerOptions.AllInterfaces;

    /// <summary>A root-only file with the webhook secret, named on the unit's command line (no environment file then).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? WebhookSecretFile { get; set; }

    /// <summary>A file with the token GitLab sends; never the webhook secret (GitLab sends it in clear).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? GitLabTokenFile { get; set; }

    /// <summary>Without -WebhookSecretFile: the environment file the unit reads (created 0600 with a new random secret when missing).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string EnvironmentFile { get; set; } = SystemdUnit.DefaultEnvironmentFile;

    /// <summary>The unit serves HTTPS with this PEM certificate (re-read when it changes); with -TlsKeyFile.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? TlsCertificateFile { get; set; }

    /// <summary>The PEM private key of -TlsCertificateFile.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? TlsKeyFile { get; set; }

    /// <summary>The unit accepts unsigned deliveries for projects without a secret; never implied.</summary>
    [Parameter]
    public SwitchParameter AllowUnsigned { get; set; }

    /// <summary>The unit's listener samples apps and the host this often (whole seconds, 1 to 300); its default when omitted.</summary>
    [Parameter]
    public TimeSpan? SampleInterval { get; set; }

    /// <summary>The unit's listener samples telemetry but never restarts apps.</summary>
    [Parameter]
    public SwitchParameter NoWatchdog { get; set; }

    /// <summary>The unit's listener serves the web dashboard.</summary>
    [Parameter]
    public SwitchParameter Dashboard { get; set; }

    /// <summary>The unit's dashboard may be served over plain HTTP on a non-loopback address.</summary>
    [Parameter]
    public SwitchParameter AllowInsecureDashboard { get; set; }

    /// <summary>Output the unit and print every hint the real install prints, writing nothing (as -WhatIf).</summary>
    [Parameter]
    public SwitchParameter DryRun { get; set; }

    protected override void ProcessRecord()
    {
        int? sampleSeconds = null;
        if (SampleInterval is { } interval)
        {
            sampleSeconds = SampleIntervalParameter.Seconds(interval, out var refused);
            if (refused is not null) ThrowTerminatingError(refused);
        }
        if ((TlsCertificateFile is null) != (TlsKeyFile is null))
            ThrowTerminatingError(CicdErrorRecords.Create("CicdInvalidArgument", ErrorCategory.InvalidArgument,
                "Give both -TlsCertificateFile and -TlsKeyFile, or neither.", TlsCertificateFile ?? TlsKeyFile));
        if (AllowInsecureDashboard && !Dashboard)
            ThrowTerminatingError(CicdErrorRecords.Create("CicdInvalidArgument", ErrorCategory.InvalidArgument, "-AllowInsecureDashboard needs -Dashboard.", null));
        if (Dashboard && TlsCertificateFile is null && !AllowInsecureDashboard && !new ListenerOptions { BindAddress = BindAddress }.IsLoopback)
            ThrowTerminatingError(CicdErrorRecords.Create("CicdInvalidArgument", ErrorCategory.InvalidArgument,
                $"The dashboard on {BindAddress} without TLS would send its session cookie in clear: give -TlsCertificateFile and -TlsKeyFile, " +
                "use -BindAddress 127.0.0.1, or pass -AllowInsecureDashboard.", BindAddress));
        string? Full(string? p) => p is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(p);
        var unitPath = Full(Path)!;
        var executable = ResolveExecutable();
        var settings = new ListenerServiceSettings
        {
            Executable = executable,
            DataPath = DataDirectory.Resolve(Full(DataPath)),
            UnitPath = unitPath,
            Port = Port,
            BindAddress = BindAddress,
            WebhookSecretFile = Full(WebhookSecretFile),
            GitLabTokenFile = Full(GitLabTokenFile),
            EnvironmentFile = Full(EnvironmentFile)!,
            TlsCertificateFile = Full(TlsCertificateFile),
            TlsKeyFile = Full(TlsKeyFile),
            AllowUnsigned = AllowUnsigned,
            SampleIntervalSeconds = sampleSeconds,
            NoWatchdog = NoWatchdog,
            Dashboard = Dashboard,
            AllowInsecureDashboard = AllowInsecureDashboard,
        };
        // -DryRun and -WhatIf write nothing and say what the install would do, hint for hint.
        var write = !DryRun && ShouldProcess(unitPath, "Write the CicdOps listener service unit");
        ListenerServicePlan plan;
        try
        {
            plan = ListenerServiceInstall.Plan(settings, dryRun: !write);
            if (write) ListenerServiceInstall.Apply(plan);
        }
        catch (CicdException e)
        {
            // A file that cannot be written keeps its own error id; a bad port or address is the engine's.
            ThrowTerminatingError(e.Error == CicdError.InvalidPath
                ? CicdErrorRecords.Create(WriteFailedErrorId, ErrorCategory.WriteError, e.Message, unitPath, "Run as root, or pass -Path to write the unit elsewhere.")
                : CicdErrorRecords.From(e));
            return;
        }
        // Printed like Write-Host (shown whatever the information preference), one hint a line.
        foreach (var hint in plan.Hints) WriteInformation(new HostInformationMessage { Message = hint }, new[] { "PSHOST" });
        WriteObject(new ListenerServiceUnit(unitPath, plan.Unit, written: write, plan.Hints));
    }

    private string ResolveExecutable()
    {
        string program;
        if (CicdOpsPath is not null)
        {
            program = SessionState.Path.GetUnresolvedProviderPathFromPSPath(CicdOpsPath);
            if (!ExecutableLookup.IsExecutableFile(program))
                ThrowTerminatingError(CicdErrorRecords.Create(CicdOpsNotFoundErrorId, ErrorCategory.ObjectNotFound,
                    $"{program} is not an executable file.", program, "Pass the path of the cicdops executable with -CicdOpsPath."));
        }
        else
        {
            // The module's own self-contained executable: the same version as these cmdlets, needing no .NET install.
            if (!ModuleExecutable.IsPresent)
                ThrowTerminatingError(CicdErrorRecords.Create(CicdOpsNotFoundErrorId, ErrorCategory.ObjectNotFound,
                    ModuleExecutable.MissingMessage, ModuleExecutable.PathForThisMachine, "Or pass the path of a cicdops executable with -CicdOpsPath."));
            program = ModuleExecutable.PathForThisMachine;
        }
        // The same rule as `cicdops service install`: never a file a git pull and rebuild change under the service.
        if (ListenerServiceInstall.ExecutableProblem(program) is { } problem)
            ThrowTerminatingError(CicdErrorRecords.Create(NotInstalledErrorId, ErrorCategory.InvalidArgument, problem, program,
                "Install the module (Install-Module, or copy it out of the checkout), or pass an installed cicdops with -CicdOpsPath."));
        return program;
    }
}
