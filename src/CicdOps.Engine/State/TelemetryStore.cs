using Microsoft.Data.Sqlite;

namespace CicdOps.Engine.State;

/// <summary>One project as the sampler and watchdog read it, all projects in one query per pass.</summary>
internal sealed record MonitoredProject(
    string Name, ProjectStatus Status, string? Commit, string Path, int? Port, AppProcess? App, TimeSpan HealthInterval, ServingApp? Serving);

/// <summary>The reads of the sampler and the watchdog: cheap enough to run every few seconds with hundreds of projects.</summary>
internal static class TelemetryStore
{
    public static List<MonitoredProject> Projects(SqliteConnection c) => c.Query("""
        SELECT name, status, current_commit, path, port, app_pid, app_pgid, app_start_ticks, health_interval_ms, app_dir, app_has_health
        FROM projects ORDER BY name
        """, r => new MonitoredProject(
            r.Str("name")!, r.Enum<ProjectStatus>("status"), r.Str("current_commit"), r.Str("path")!,
            r.Long("port") is { } port ? (int)port : null,
            r.Long("app_pid") is { } pid ? new AppProcess((int)pid, (int)(r.Long("app_pgid") ?? pid), r.Long("app_start_ticks")) : null,
            r.Long("health_interval_ms") is { } hi ? TimeSpan.FromMilliseconds(hi) : ProjectDefaults.HealthInterval,
            r.Str("app_dir") is { } dir ? new ServingApp(dir, r.Long("app_has_health") == 1) : null));

    /// <summary>Watchdog restarts per project since its last deployment that was not one (a partial index keeps it cheap).</summary>
    public static Dictionary<string, int> Restarts(SqliteConnection c)
    {
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (project, count) in c.Query("""
            SELECT w.project, COUNT(*) FROM deployments w
            WHERE w.trigger = 'Watchdog' AND w.status NOT IN ('Queued', 'Superseded', 'Skipped', 'Cancelled')
              AND w.id > COALESCE((SELECT MAX(x.id) FROM deployments x WHERE x.project = w.project AND x.trigger <> 'Watchdog'
                                   AND x.status IN ('Succeeded', 'RolledBack', 'Failed')), 0)
            GROUP BY w.project
            """, r => (r.GetString(0), r.GetInt32(1))))
            result[project] = count;
        return result;
    }

    /// <summary>Projects with a deployment waiting or running (the watchdog never acts on them).</summary>
    public static HashSet<string> Busy(SqliteConnection c) =>
        c.Query("SELECT DISTINCT project FROM deployments WHERE status IN ('Queued', 'Running')", r => r.GetString(0)).ToHashSet(StringComparer.Ordinal);

    public static bool IsBusy(SqliteConnection c, string project) =>
        c.Scalar("SELECT 1 FROM deployments WHERE project = $p AND status IN ('Queued', 'Running') LIMIT 1", ("$p", project)) is not null;
}
