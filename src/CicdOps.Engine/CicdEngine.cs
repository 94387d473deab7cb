using CicdOps.Engine.Deploy;
using CicdOps.Engine.Processes;
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
            Directory.CreateDirectory(root);
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var db = new Database(root);
            db.Initialize();
            return new CicdEngine(new EngineContext(options with { DataPath = root }, new DataLayout(root), db, new CurrentUserSandbox()));
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
    public string? NotSandboxedReason => _ctx.Sandbox.NotSandboxedReason;

    internal EngineContext Context => _ctx;

    public void Dispose() { }
}
