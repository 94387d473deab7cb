using System.Management.Automation;
using System.Security;
using CicdOps.Cmdlets.Infrastructure;
using CicdOps.Engine;
using CicdOps.Engine.Listener;

namespace CicdOps.Cmdlets.Commands;

/// <summary>
/// Start-CicdListener: runs the webhook listener in the foreground until Ctrl+C. Pushes signed by a Git host
/// deploy the projects they name. The engine's one-line events (logged from worker threads) are queued and
/// written here, on the pipeline thread, as host information records tagged CicdOps.Listener.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "CicdListener", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = ParameterSets.BySecret)]
[OutputType(typeof(void))]
public sealed class StartCicdListenerCommand : CicdCmdlet
{
    public const string InformationTag = "CicdOps.Listener";
    private static readonly string[] HostTags = { "PSHOST", InformationTag };
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    /// <summary>After Ctrl+C, how long to wait for the listener to stop accepting before returning the prompt.</summary>
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(3);

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

    /// <summary>Accept unsigned deliveries for projects without a secret, even on a public interface.</summary>
    [Parameter]
    public SwitchParameter AllowUnsigned { get; set; }

    /// <summary>How long running deployments may take to finish once the listener stops.</summary>
    [Parameter]
    public TimeSpan? ShutdownGrace { get; set; }

    protected override void ProcessRecord()
    {
        var options = new ListenerOptions
        {
            Port = Port,
            BindAddress = BindAddress,
            Secret = ResolveSecret(),
            AllowUnsigned = AllowUnsigned.IsPresent,
        };
        if (ShutdownGrace is { } g && g < TimeSpan.Zero)
            ThrowTerminatingError(CicdErrorRecords.Create("CicdInvalidTimeout", ErrorCategory.InvalidArgument,
                "The shutdown grace must not be negative.", g));
        if (!ShouldProcess(options.Prefix, "Listen for webhooks and deploy the projects they name")) return;
        Run(options);
    }

    private void Run(ListenerOptions options)
    {
        var engine = Engine; // resolved here: the worker thread must never touch the cmdlet
        var grace = ShutdownGrace;
        using var lines = new QueuedProgress<string>();
        var stop = CancellationTokenSource.CreateLinkedTokenSource(CancellationToken);
        var run = Task.Run(() => engine.RunListenerAsync(options, lines.Report, stop.Token, grace));
        // Remove-Module stops the listener and waits for its graceful stop (the engine is disposed right after).
        var cleanup = ModuleCleanup.RegisterScoped(() =>
        {
            try { stop.Cancel(); } catch (ObjectDisposedException) { }
            // Waits without rethrowing: how the run ended was (or will be) reported by the cmdlet.
            ((IAsyncResult)run).AsyncWaitHandle.WaitOne((grace ?? CicdEngine.DefaultShutdownGrace) + TimeSpan.FromSeconds(10));
        });
        // Whenever the run ends (possibly after this cmdlet returned), forget it, release the source and
        // zero the secret (the engine no longer needs it).
        run.ContinueWith(_ =>
        {
            cleanup.Dispose();
            stop.Dispose();
            if (options.Secret is { } secret) Array.Clear(secret);
        }, TaskScheduler.Default);

        var token = CancellationToken;
        while (!run.IsCompleted)
        {
            if (token.IsCancellationRequested)
            {
                // Ctrl+C: the pipeline is stopping and can no longer be written to. The engine stops accepting
                // at once; running deployments finish in the background within the grace.
                ((IAsyncResult)run).AsyncWaitHandle.WaitOne(StopWait);
                return;
            }
            if (lines.TryTake(out var line, PollInterval)) WriteLine(line);
        }
        while (lines.TryTake(out var late, TimeSpan.Zero)) WriteLine(late);

        try
        {
            run.GetAwaiter().GetResult();
        }
        catch (CicdException ex)
        {
            // Refused options (no secret on a public interface, a busy port, ...): nothing can proceed.
            ThrowTerminatingError(CicdErrorRecords.From(ex));
        }
        catch (OperationCanceledException) { }
    }

    private void WriteLine(string line)
    {
        const string warning = "warning: ";
        if (line.StartsWith(warning, StringComparison.Ordinal)) WriteWarning(line[warning.Length..]);
        // Like Write-Host: shown by default, yet capturable with -InformationVariable and silenced with -InformationAction.
        else WriteInformation(new HostInformationMessage { Message = line }, HostTags);
    }

    private byte[]? ResolveSecret()
    {
        if (ParameterSetName == ParameterSets.BySecretFile) return ReadSecretFile();
        return WebhookSecret is not null ? WebhookSecrets.FromSecureString(WebhookSecret) : WebhookSecrets.FromEnvironment();
    }

    private byte[] ReadSecretFile()
    {
        var path = SessionState.Path.GetUnresolvedProviderPathFromPSPath(WebhookSecretFile);
        byte[] content;
        try
        {
            content = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(CicdErrorRecords.Create("CicdInvalidArgument",
                ex is UnauthorizedAccessException ? ErrorCategory.PermissionDenied : ErrorCategory.ReadError,
                $"Cannot read the webhook secret file {path}: {ex.Message}", path));
            throw; // unreachable
        }
        try
        {
            return WebhookSecrets.FromFileBytes(content) ?? throw new InvalidDataException();
        }
        catch (InvalidDataException)
        {
            ThrowTerminatingError(CicdErrorRecords.Create("CicdInvalidArgument", ErrorCategory.InvalidData,
                $"The webhook secret file {path} is empty.", path));
            throw; // unreachable
        }
        finally
        {
            Array.Clear(content);
        }
    }
}
