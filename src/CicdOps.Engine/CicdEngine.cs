using CicdOps.Engine.Deploy;
using CicdOps.Engine.Sandbox;
using CicdOps.Engine.State;

namespace CicdOps.Engine;

/// <summary>
/// The one API every front end (cmdlets, CLI, listener) calls. Thread-safe: each call opens its own
/// database connection. Methods throw <see cref="CicdException"/> for anything a user can cause.
/// Split by concern: Projects, Deployments, Pins, Runners.
/// </summary>
public sealed partial class CicdEngine : IDisposable
{
    private readonly EngineContext _ctx;

    private CicdEngine(EngineContext ctx) { _ctx = ctx; }

    /// <summary>Opens (creating if needed) the data directory and its database, applying schema upgrades.</summary>
    public static CicdEngine Open(EngineOptions? options = null)
    {
        options ??= new EngineOptions();
        var root = DataDirectory.Resolve(options.DataPath);
        try
        {
            var sandbox = ProjectSandboxFactory.Create(root, sudoersDirectory: options.SudoersDirectory);
            // 0700 before anything is written; the database is created 0600, so its -wal/-shm inherit that.
            sandbox.SecureDataDirectory(root);
            var db = new Database(root);
            db.Initialize();
            // A grant left by an engine process that died mid-install is root for that project: drop it now.
            sandbox.RemoveStaleSudoGrants();
            // Auto falls back to process groups and never fails: found at first use. A mechanism asked for by name is
            // checked here, so an unavailable one is an error at open as before.
            var tracker = options.ProcessTracking == ProcessTracking.Auto
                ? new Lazy<Processes.IAppTracker>(() => Processes.AppTrackerFactory.Create(ProcessTracking.Auto, root))
                : new Lazy<Processes.IAppTracker>(Processes.AppTrackerFactory.Create(options.ProcessTracking, root));
            return new CicdEngine(new EngineContext(options with { DataPath = root }, new DataLayout(root), db, sandbox, tracker));
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException or Microsoft.Data.Sqlite.SqliteException)
        {
            throw new CicdException(CicdError.DataDirectoryUnavailable, $"Cannot use data directory '{root}': {e.Message}", root,
                "Set CICDOPS_HOME (or -DataPath / --data-dir) to a directory you can write.", e);
        }
    }

    public string DataPath => _ctx.Layout.Root;
    public EngineOptions Options => _ctx.Options;

    /// <summary>Whether project scripts run as dedicated users; when false, <see cref="NotSandboxedReason"/> says why.</summary>
    public bool IsSandboxed => _ctx.Sandbox.IsSandboxed;
    /// <summary>One line for front ends to show once per session when projects are not sandboxed; null when they are.</summary>
    public string? NotSandboxedReason => _ctx.Sandbox.Warning;

    /// <summary>How the project's processes are tracked here: "cgroup v1", "cgroup v2" or "process group".</summary>
    public string ProcessTrackingMechanism => _ctx.Tracker.Mechanism;

    internal EngineContext Context => _ctx;

    public void Dispose()
    {
        _ctx.StopPipelines();
        _ctx.Secrets.Dispose();
        _ctx.Db.ReleasePooledConnections();
    }
}
