using System.Globalization;
using System.Management.Automation;
using System.Security;
using CicdOps.Cmdlets.Infrastructure;
using CicdOps.Engine;
using CicdOps.Engine.Listener;

namespace CicdOps.Cmdlets.Commands;

/// <summary>
/// Start-CicdListener: runs the webhook listener in the foreground until Ctrl+C. Pushes signed by a Git host
/// deploy the projects they name. The listener is the module's own `cicdops listen` (one implementation for every
/// front end) run as a child process; its one-line events are written here, on the pipeline thread, as host
/// information records tagged CicdOps.Listener. Ctrl+C asks it for its graceful stop and returns the prompt.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "CicdListener", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = ParameterSets.BySecret)]
[OutputType(typeof(void))]
public sealed class StartCicdListenerCommand : CicdCmdlet
{
    public const string InformationTag = "CicdOps.Listener";
    public const string ListenerFailedErrorId = "CicdListenerFailed";
    private static readonly string[] HostTags = { "PSHOST", InformationTag };
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    /// <summary>After Ctrl+C, how long to wait for the listener to stop accepting before returning the prompt.</summary>
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(1.5);

    [Parameter]
    [ValidateRange(1, 65535)]
    public int Port { get; set; } = ListenerOptions.DefaultPort;

    /// <summary>'+' (every interface, the default), or an IP address or host name such as 127.0.0.1.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string BindAddress { get; set; } = ListenerOptions.AllInterfaces;

    /// <summary>The global webhook secret; else the file, else $env:CICDOPS_WEBHOOK_SECRET.</summary>
    [Parameter(ParameterSetName = ParameterSets.BySecret)]
    public SecureString? WebhookSecret { get; set; }

    [Parameter(ParameterSetName = ParameterSets.BySecretFile, Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string WebhookSecretFile { get; set; } = null!;

    /// <summary>A file holding the token GitLab sends; never the webhook secret (GitLab sends it in clear).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? GitLabTokenFile { get; set; }

    /// <summary>Accept unsigned deliveries for projects without a secret; never implied, not even on loopback.</summary>
    [Parameter]
    public SwitchParameter AllowUnsigned { get; set; }

    /// <summary>Serve HTTPS with this PEM certificate (chain), re-read when it changes; with -TlsKeyFile.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? TlsCertificateFile { get; set; }

    /// <summary>The PEM private key of -TlsCertificateFile.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? TlsKeyFile { get; set; }

    /// <summary>How long running deployments may take to finish once the listener stops.</summary>
    [Parameter]
    public TimeSpan? ShutdownGrace { get; set; }

    /// <summary>How often apps and the host are sampled (whole seconds, 1 to 300); the watchdog checks at every sample.</summary>
    [Parameter]
    public TimeSpan? SampleInterval { get; set; }

    /// <summary>Sample telemetry but never mark apps Unhealthy or restart them.</summary>
    [Parameter]
    public SwitchParameter NoWatchdog { get; set; }

    /// <summary>Serve the web dashboard under / (sign in with New-CicdDashboardLogin).</summary>
    [Parameter]
    public SwitchParameter Dashboard { get; set; }

    /// <summary>Serve the dashboard over plain HTTP on a non-loopback address (its cookie then crosses the network in clear).</summary>
    [Parameter]
    public SwitchParameter AllowInsecureDashboard { get; set; }

    private int? _sampleSeconds;

    protected override void ProcessRecord()
    {
        if (SampleInterval is { } interval)
        {
            _sampleSeconds = SampleIntervalParameter.Seconds(interval, out var refused);
            if (refused is not null) ThrowTerminatingError(refused);
        }
        if (ShutdownGrace is { } g && g < TimeSpan.Zero)
            ThrowTerminatingError(CicdErrorRecords.Create("CicdInvalidTimeout", ErrorCategory.InvalidArgument,
                "The shutdown grace must not be negative.", g));
        if ((TlsCertificateFile is null) != (TlsKeyFile is null))
            ThrowTerminatingError(CicdErrorRecords.Create("CicdInvalidArgument", ErrorCategory.InvalidArgument,
                "Give both -TlsCertificateFile and -TlsKeyFile, or neither.", TlsCertificateFile ?? TlsKeyFile));
        if (AllowInsecureDashboard && !Dashboard)
            ThrowTerminatingError(CicdErrorRecords.Create("CicdInvalidArgument", ErrorCategory.InvalidArgument, "-AllowInsecureDashboard needs -Dashboard.", null));
        if (Dashboard && TlsCertificateFile is null && !AllowInsecureDashboard && !new ListenerOptions { BindAddress = BindAddress }.IsLoopback)
            ThrowTerminatingError(CicdErrorRecords.Create("CicdInvalidArgument", ErrorCategory.InvalidArgument,
                $"The dashboard on {BindAddress} without TLS would send its session cookie in clear: give -TlsCertificateFile and -TlsKeyFile, " +
                "use -BindAddress 127.0.0.1, or pass -AllowInsecureDashboard.", BindAddress));
        var check = new ListenerOptions { Port = Port, BindAddress = BindAddress, AllowUnsigned = true }.Validate();
        if (check is not null)
            ThrowTerminatingError(CicdErrorRecords.Create("CicdInvalidArgument", ErrorCategory.InvalidArgument, check, BindAddress));
        var target = new ListenerOptions { Port = Port, BindAddress = BindAddress, TlsCertificateFile = TlsCertificateFile, TlsKeyFile = TlsKeyFile }.Prefix;
        if (!ShouldProcess(target, "Listen for webhooks and deploy the projects they name")) return;
        if (!ModuleExecutable.IsPresent)
            ThrowTerminatingError(CicdErrorRecords.Create(ModuleExecutable.NotFoundErrorId, ErrorCategory.NotInstalled,
                ModuleExecutable.MissingMessage, ModuleExecutable.PathForThisMachine));
        Run(target);
    }

    private void Run(string target)
    {
        var dataPath = DataDirectory.Resolve(DataPath is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(DataPath));
        var arguments = new List<string>
        {
            "--data-dir", dataPath, "listen", "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", BindAddress,
            "--stop-when-stdin-closes",
        };
        if (AllowUnsigned) arguments.Add("--allow-unsigned");
        if (GitLabTokenFile is not null) arguments.AddRange(new[] { "--gitlab-token-file", SessionState.Path.GetUnresolvedProviderPathFromPSPath(GitLabTokenFile) });
        if (TlsCertificateFile is not null && TlsKeyFile is not null)
            arguments.AddRange(new[]
            {
                "--tls-cert", SessionState.Path.GetUnresolvedProviderPathFromPSPath(TlsCertificateFile),
                "--tls-key", SessionState.Path.GetUnresolvedProviderPathFromPSPath(TlsKeyFile),
            });
        if (ShutdownGrace is { } grace)
            arguments.AddRange(new[] { "--shutdown-grace", ((int)Math.Ceiling(grace.TotalSeconds)).ToString(CultureInfo.InvariantCulture) });
        if (_sampleSeconds is { } seconds) arguments.AddRange(new[] { "--sample-interval", seconds.ToString(CultureInfo.InvariantCulture) });
        if (NoWatchdog) arguments.Add("--no-watchdog");
        if (Dashboard) arguments.Add("--dashboard");
        if (AllowInsecureDashboard) arguments.Add("--allow-insecure-dashboard");
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        if (ParameterSetName == ParameterSets.BySecretFile)
            arguments.AddRange(new[] { "--webhook-secret-file", SessionState.Path.GetUnresolvedProviderPathFromPSPath(WebhookSecretFile) });
        else if (WebhookSecret is not null)
            // Through the child's environment, never its argv (visible to every user in the process list).
            environment[WebhookSecrets.EnvironmentVariable] = WebhookSecrets.ToPlainText(WebhookSecret);

        using var listener = ListenerProcess.Start(ModuleExecutable.PathForThisMachine, arguments, environment);
        // Remove-Module stops the listener (gracefully) too.
        using var cleanup = ModuleCleanup.RegisterScoped(() => listener.Stop(StopWait));
        var token = CancellationToken;
        while (!listener.OutputEnded || !listener.HasExited)
        {
            if (token.IsCancellationRequested)
            {
                // Ctrl+C: the pipeline is stopping and can no longer be written to. The listener stops accepting at
                // once; running deployments finish within its grace, after the prompt is back.
                listener.Stop(StopWait);
                return;
            }
            if (listener.TryTakeLine(out var line, PollInterval)) WriteLine(line);
            else if (listener.HasExited && listener.OutputEnded) break;
        }
        while (listener.TryTakeLine(out var late, TimeSpan.Zero)) WriteLine(late);
        if (listener.ExitCode != 0)
            // Refused options (no secret on a public interface, a busy port, ...): nothing can proceed.
            ThrowTerminatingError(CliErrors.ToErrorRecord(listener.Errors, listener.ExitCode, ListenerFailedErrorId, target));
    }

    private void WriteLine(string line)
    {
        const string warning = "warning: ";
        if (line.StartsWith(warning, StringComparison.Ordinal)) WriteWarning(line[warning.Length..]);
        // Like Write-Host: shown by default, yet capturable with -InformationVariable and silenced with -InformationAction.
        else WriteInformation(new HostInformationMessage { Message = line }, HostTags);
    }
}
