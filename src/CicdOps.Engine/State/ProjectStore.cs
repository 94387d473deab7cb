using CicdOps.Engine.Model;
using Microsoft.Data.Sqlite;

namespace CicdOps.Engine.State;

/// <summary>Rows of the projects table, in and out. Callers own the connection and transaction.</summary>
internal static class ProjectStore
{
    public static Project? Find(SqliteConnection c, string name) =>
        c.Query("SELECT * FROM projects WHERE name = $n", Map, ("$n", name)).FirstOrDefault();

    public static Project Get(SqliteConnection c, string name) =>
        Find(c, name) ?? throw NotFound(name, c);

    /// <summary>The not-found error; with a connection it suggests the registered name closest to a typo.</summary>
    public static CicdException NotFound(string name, SqliteConnection? c = null)
    {
        var near = c is null ? null : Validation.Nearest.Of(name, c.Query("SELECT name FROM projects", r => r.GetString(0)));
        return new(CicdError.ProjectNotFound,
            $"No project named '{Validation.Names.Printable(name)}'{(near is null ? "" : $"; did you mean '{near}'?")}", name,
            "List registered projects: Get-CicdProject / cicdops project list.");
    }

    public static List<Project> All(SqliteConnection c) => c.Query("SELECT * FROM projects ORDER BY name", Map);

    public static void Insert(SqliteConnection c, Project p) => c.Execute("""
        INSERT INTO projects (name, repository, branch, path, port, install_timeout_ms, health_timeout_ms, status,
            service_user, sudo_commands, keep_releases, shared_paths, require_pipeline, health_interval_ms, pipeline_events, status_api,
            created_at, updated_at)
        VALUES ($name, $repo, $branch, $path, $port, $it, $ht, $status, $user, $sudo, $keep, $shared, $gate, $hi, $events, $sapi, $now, $now)
        """,
        ("$events", Pipelines.PipelineEventNames.Store(p.PipelineEvents)), ("$sapi", p.CommitStatusApi),
        ("$hi", (long)p.HealthInterval.TotalMilliseconds),
        ("$keep", StoredKeep(p.KeepReleases)), ("$gate", p.RequirePipeline ? 1 : 0), ("$shared", Validation.SharedPaths.Store(p.SharedPaths)),
        ("$name", p.Name), ("$repo", p.Repository), ("$branch", p.Branch), ("$path", p.Path), ("$port", p.Port),
        ("$it", (long)p.InstallTimeout.TotalMilliseconds), ("$ht", (long)p.HealthTimeout.TotalMilliseconds),
        ("$status", p.Status.ToString()), ("$user", p.ServiceUser), ("$sudo", Sandbox.SudoCommands.Store(p.SudoCommands)),
        ("$now", p.CreatedAt.ToMs()));

    /// <summary>Writes the user-editable settings of a project.</summary>
    public static void UpdateSettings(SqliteConnection c, Project p) => c.Execute("""
        UPDATE projects SET repository=$repo, branch=$branch, path=$path, port=$port, install_timeout_ms=$it,
            health_timeout_ms=$ht, sudo_commands=$sudo, keep_releases=$keep, shared_paths=$shared,
            require_pipeline=$gate, health_interval_ms=$hi, pipeline_events=$events, status_api=$sapi, updated_at=$now WHERE name=$name
        """,
        ("$events", Pipelines.PipelineEventNames.Store(p.PipelineEvents)), ("$sapi", p.CommitStatusApi),
        ("$hi", (long)p.HealthInterval.TotalMilliseconds),
        ("$keep", StoredKeep(p.KeepReleases)), ("$gate", p.RequirePipeline ? 1 : 0), ("$shared", Validation.SharedPaths.Store(p.SharedPaths)),
        ("$name", p.Name), ("$repo", p.Repository), ("$branch", p.Branch), ("$path", p.Path), ("$port", p.Port),
        ("$it", (long)p.InstallTimeout.TotalMilliseconds), ("$ht", (long)p.HealthTimeout.TotalMilliseconds),
        ("$sudo", Sandbox.SudoCommands.Store(p.SudoCommands)), ("$now", DateTimeOffset.UtcNow.ToMs()));

    /// <summary>
    /// Records the account created for a project at its first deploy, unless one was recorded meanwhile;
    /// returns the project's account name afterwards.
    /// </summary>
    public static string? ClaimServiceUser(SqliteConnection c, string name, string user)
    {
        c.Execute("UPDATE projects SET service_user=$u, updated_at=$now WHERE name=$n AND service_user IS NULL",
            ("$u", user), ("$n", name), ("$now", DateTimeOffset.UtcNow.ToMs()));
        return Find(c, name)?.ServiceUser;
    }

    /// <summary>Sets one engine-owned column (status, commits, hash, app process) by name.</summary>
    public static void Set(SqliteConnection c, string name, string column, object? value)
    {
        if (!EngineColumns.Contains(column)) throw new ArgumentOutOfRangeException(nameof(column));
        c.Execute($"UPDATE projects SET {column}=$v, updated_at=$now WHERE name=$name",
            ("$v", value), ("$now", DateTimeOffset.UtcNow.ToMs()), ("$name", name));
    }

    private static readonly HashSet<string> EngineColumns = new()
    {
        "status", "current_commit", "last_good_commit", "pinned_commit", "install_hash", "app_pid", "app_pgid", "app_start_ticks",
        "app_dir", "app_has_health",
    };

    public static void Delete(SqliteConnection c, string name) => c.Execute("DELETE FROM projects WHERE name=$n", ("$n", name));

    public static AppProcess? GetApp(SqliteConnection c, string name) =>
        c.Query("SELECT app_pid, app_pgid, app_start_ticks FROM projects WHERE name=$n",
            r => r.Long("app_pid") is { } pid ? new AppProcess((int)pid, (int)(r.Long("app_pgid") ?? pid), r.Long("app_start_ticks")) : null,
            ("$n", name)).FirstOrDefault();

    public static ServingApp? GetServing(SqliteConnection c, string name) =>
        c.Query("SELECT app_dir, app_has_health FROM projects WHERE name=$n",
            r => r.Str("app_dir") is { } dir ? new ServingApp(dir, r.Long("app_has_health") == 1) : null, ("$n", name)).FirstOrDefault();

    public static void SetApp(SqliteConnection c, string name, AppProcess? app) => c.Execute(
        "UPDATE projects SET app_pid=$pid, app_pgid=$pgid, app_start_ticks=$t, updated_at=$now WHERE name=$n",
        ("$pid", app?.Pid), ("$pgid", app?.Pgid), ("$t", app?.StartTicks), ("$now", DateTimeOffset.UtcNow.ToMs()), ("$n", name));

    // keep_releases as stored: 0 is what every project registered before releases became the default has (it was
    // the column's default, not a choice), so it now reads as the default number and such a project is migrated at
    // its next deploy; an explicit in-place choice (KeepReleases 0) is stored as -1. No schema change needed.
    internal const int StoredInPlace = -1;

    private static long StoredKeep(int keep) => keep == 0 ? StoredInPlace : keep;

    private static int LoadedKeep(long stored) => stored switch
    {
        StoredInPlace => 0,
        0 => ProjectDefaults.KeepReleases,
        _ => (int)stored,
    };

    private static Project Map(SqliteDataReader r) => new()
    {
        Name = r.Str("name")!,
        Repository = r.Str("repository")!,
        Branch = r.Str("branch")!,
        Path = r.Str("path")!,
        Port = r.Long("port") is { } p ? (int)p : null,
        InstallTimeout = TimeSpan.FromMilliseconds(r.Long("install_timeout_ms")!.Value),
        HealthTimeout = TimeSpan.FromMilliseconds(r.Long("health_timeout_ms")!.Value),
        HealthInterval = r.Long("health_interval_ms") is { } hi ? TimeSpan.FromMilliseconds(hi) : ProjectDefaults.HealthInterval,
        Status = r.Enum<ProjectStatus>("status"),
        CurrentCommit = r.Str("current_commit"),
        LastGoodCommit = r.Str("last_good_commit"),
        PinnedCommit = r.Str("pinned_commit"),
        InstallScriptHash = r.Str("install_hash"),
        ServiceUser = r.Str("service_user"),
        SudoCommands = Sandbox.SudoCommands.Load(r.Str("sudo_commands")),
        KeepReleases = LoadedKeep(r.Long("keep_releases") ?? 0),
        RequirePipeline = r.Long("require_pipeline") == 1,
        PipelineEvents = Pipelines.PipelineEventNames.Load(r.Str("pipeline_events")),
        CommitStatusApi = r.Str("status_api"),
        SharedPaths = Validation.SharedPaths.Load(r.Str("shared_paths")),
        CreatedAt = r.Time("created_at")!.Value,
        UpdatedAt = r.Time("updated_at")!.Value,
    };
}

/// <summary>Where the serving app runs (its working directory) and whether its commit has health.sh; null before a healthy bring-up.</summary>
internal sealed record ServingApp(string Directory, bool HasHealth);

/// <summary>The app process the engine started for a project: pid, its process group, and its start time (guards against pid reuse).</summary>
internal sealed record AppProcess(int Pid, int Pgid, long? StartTicks);
