using System.Management.Automation;
using CicdOps.Engine;

namespace CicdOps.Cmdlets.Infrastructure;

/// <summary>
/// What every CicdOps cmdlet shares: the -DataPath parameter, the engine for that data directory,
/// a cancellation token tied to Ctrl+C, and the CicdException → ErrorRecord conversion.
/// Subclasses hold parameters and make one engine call per pipeline item; no logic lives here either.
/// </summary>
public abstract class CicdCmdlet : PSCmdlet, IDisposable
{
    private CancellationTokenSource? _cancellation;
    private CicdEngine? _engine;

    /// <summary>The data directory (default: $env:CICDOPS_HOME, else the per-user or system default).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? DataPath { get; set; }

    /// <summary>Cancelled when the user presses Ctrl+C (StopProcessing).</summary>
    protected CancellationToken CancellationToken => (_cancellation ??= new CancellationTokenSource()).Token;

    /// <summary>The engine for the resolved data directory, opened once per session and path.</summary>
    protected CicdEngine Engine
    {
        get
        {
            if (_engine is not null) return _engine;
            // Relative paths are relative to the PowerShell location, not the process working directory.
            var explicitPath = DataPath is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(DataPath);
            try
            {
                _engine = EngineCache.Get(explicitPath);
            }
            catch (CicdException ex)
            {
                // Without an engine no pipeline item can proceed.
                ThrowTerminatingError(CicdErrorRecords.From(ex));
            }
            return _engine!;
        }
    }

    protected override void BeginProcessing() => _cancellation = new CancellationTokenSource();

    protected override void StopProcessing()
    {
        // Runs on another thread; the pipeline may be finishing and have disposed the source already.
        try { _cancellation?.Cancel(); }
        catch (ObjectDisposedException) { }
    }

    protected override void EndProcessing() => DisposeCancellation();

    public void Dispose()
    {
        DisposeCancellation();
        GC.SuppressFinalize(this);
    }

    private void DisposeCancellation()
    {
        _cancellation?.Dispose();
        _cancellation = null;
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<CicdEngine, object> WarnedNotSandboxed = new();

    /// <summary>
    /// Once per engine (so once per session and data directory): warns that projects run as this account,
    /// not sandboxed, because CicdOps is not root. Called on the pipeline thread by the cmdlets that run scripts.
    /// </summary>
    protected void WarnIfNotSandboxed()
    {
        var engine = Engine;
        if (engine.NotSandboxedReason is not { } reason) return;
        if (WarnedNotSandboxed.TryAdd(engine, new object())) WriteWarning(reason);
    }

    /// <summary>A grant of everything is warned about each time it is set (and the install log warns each time it is used).</summary>
    protected void WarnIfSudoAll(Project project)
    {
        if (CicdOps.Engine.Sandbox.SudoCommands.GrantsEverything(project.SudoCommands))
            WriteWarning(CicdOps.Engine.Sandbox.SudoCommands.AllWarning.Replace("--sudo-command PATH / -SudoCommand PATH", "-SudoCommand PATH", StringComparison.Ordinal));
    }

    /// <summary>Reports one failed item; the pipeline goes on with the next.</summary>
    protected void WriteCicdError(CicdException ex) => WriteError(CicdErrorRecords.From(ex));

    /// <summary>
    /// Runs one engine call for one pipeline item. A CicdException becomes a non-terminating error
    /// (other items can still proceed); anything else is a bug and propagates.
    /// </summary>
    protected bool TryInvoke(Action call)
    {
        try
        {
            call();
            return true;
        }
        catch (CicdException ex)
        {
            WriteCicdError(ex);
            return false;
        }
    }
}
