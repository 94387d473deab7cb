using System.Collections.Concurrent;
using CicdOps.Engine;

namespace CicdOps.Cmdlets.Infrastructure;

/// <summary>
/// One engine per data directory per session, so consecutive cmdlets share it. Disposed when the
/// module is removed (see <see cref="ModuleLifetime"/>), which also stops whatever it started.
/// </summary>
public static class EngineCache
{
    private static readonly ConcurrentDictionary<string, CicdEngine> Engines = new(StringComparer.Ordinal);
    // The database file each cached engine opened (device + inode): a data directory deleted and made again at
    // the same path is a different database, and the cached engine must not go on writing to the unlinked one.
    private static readonly ConcurrentDictionary<string, (ulong Device, ulong Inode)?> Opened = new(StringComparer.Ordinal);
    private static readonly object OpenLock = new();

    private static bool _cleanupRegistered;

    public static CicdEngine Get(string? explicitPath)
    {
        // Key on the resolved directory so a changed $env:CICDOPS_HOME opens a different engine.
        var key = DataDirectory.Resolve(explicitPath);
        if (Engines.TryGetValue(key, out var engine))
        {
            if (Opened.TryGetValue(key, out var identity) && identity == DatabaseIdentity(key)) return engine;
            lock (OpenLock)
            {
                if (Engines.TryRemove(key, out var stale)) stale.Dispose();
            }
        }
        lock (OpenLock)
        {
            // Registered again after each Remove-Module (which runs and forgets the cleanup actions), so engines
            // opened after a re-import are disposed too.
            if (!_cleanupRegistered)
            {
                ModuleCleanup.Register(DisposeAll);
                _cleanupRegistered = true;
            }
            return Engines.GetOrAdd(key, path =>
            {
                var opened = CicdEngine.Open(Options(path, ModuleExecutable.PathForThisMachine));
                Opened[path] = DatabaseIdentity(path);
                return opened;
            });
        }
    }

    /// <summary>
    /// Deployments run in the module's own `cicdops` executable as a detached worker (they outlive the pwsh session)
    /// and app output goes through its masking log pump. A missing or broken executable makes the worker fail at
    /// start, which the engine reports within seconds (CicdWorkerFailed) instead of deploying unmasked in-session.
    /// </summary>
    public static EngineOptions Options(string dataPath, string cicdops) => new EngineOptions
        {
            DataPath = dataPath,
            WorkerCommand = new[] { cicdops, "--data-dir", dataPath, "worker" },
            LogPumpCommand = new[] { cicdops, "--data-dir", dataPath, "log-pump" },
        };

    private static (ulong, ulong)? DatabaseIdentity(string dataPath) =>
        Isolation.FileIdentity.Of(Path.Combine(dataPath, "cicdops.db"));

    public static void DisposeAll()
    {
        lock (OpenLock) _cleanupRegistered = false;
        foreach (var key in Engines.Keys.ToArray())
            if (Engines.TryRemove(key, out var engine))
                engine.Dispose();
    }
}
