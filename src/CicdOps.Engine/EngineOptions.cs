namespace CicdOps.Engine;

/// <summary>How an engine instance is set up. Everything has a sensible default; tests inject the rest.</summary>
public sealed record EngineOptions
{
    /// <summary>The data directory; null picks the default (see <see cref="DataDirectory"/>).</summary>
    public string? DataPath { get; init; }
    /// <summary>How long an old app gets after SIGTERM before SIGKILL.</summary>
    public TimeSpan StopGracePeriod { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Without health.sh: how long the app must stay alive to count as started.</summary>
    public TimeSpan SettlePeriod { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>
    /// After a deployment, the next waiting one starts only once no newer request has arrived for this long, so a
    /// burst of pushes deploys at most twice (the first, then the last) for bursts up to ten times this long;
    /// a stream that never pauses still gets a deploy of its newest commit every ten settle periods.
    /// </summary>
    public TimeSpan BurstSettle { get; init; } = TimeSpan.FromMilliseconds(300);
    /// <summary>How long a runner's lease lasts without renewal before another process may take over.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);
    /// <summary>
    /// The command that drains a project's queue in a detached process (used by --no-wait requests when
    /// no runner is active). Null: the engine drains in-process on a background thread.
    /// </summary>
    public IReadOnlyList<string>? WorkerCommand { get; init; }

    /// <summary>
    /// The command that masks secrets in an app's output and appends it to app.log (the CLI's hidden
    /// <c>log-pump</c>); the engine appends the project name. It outlives the deploying process, so it
    /// must be a process of its own. Null: app output goes to app.log directly, unmasked (the deployment
    /// log says so).
    /// </summary>
    public IReadOnlyList<string>? LogPumpCommand { get; init; }

    /// <summary>How the engine tracks each app's and deployment's processes; Auto picks the best the kernel offers.</summary>
    public ProcessTracking ProcessTracking { get; init; } = ProcessTracking.Auto;
    /// <summary>
    /// How often a running listener removes sudo grants whose holder process died (killed mid-install):
    /// such a grant is root for its project until someone removes it.
    /// </summary>
    public TimeSpan SudoSweepInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The directory sudo includes drop-ins from (its <c>#includedir</c>); null: /etc/sudoers.d. Grants written
    /// anywhere else are never read by sudo (tests use a scratch directory to watch grants in isolation).
    /// </summary>
    public string? SudoersDirectory { get; init; }

    /// <summary>Notifications: the first retry delay after a channel fails; each further failure doubles it (tests make it small).</summary>
    public TimeSpan NotificationRetryBase { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Notifications: the longest delay between retries of a failing channel.</summary>
    public TimeSpan NotificationRetryMax { get; init; } = TimeSpan.FromHours(1);
    /// <summary>Notifications: a message not delivered after this long is given up.</summary>
    public TimeSpan NotificationGiveUpAfter { get; init; } = TimeSpan.FromDays(1);
    /// <summary>Notifications: how long one send may take (connect, TLS, answer).</summary>
    public TimeSpan NotificationTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Notifications: how often the listener's sender looks for new events.</summary>
    public TimeSpan NotificationPollInterval { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>
    /// Runner tiers replacing or adding to the defaults (standard 2 GB/150 s, medium 4 GB/300 s, large 8 GB/540 s):
    /// the memory, CPU and process limits and the wall-clock limit of a pipeline run that names the tier.
    /// </summary>
    public IReadOnlyDictionary<string, Pipelines.RunnerTier>? RunnerTiers { get; init; }

    /// <summary>
    /// At most this many pipeline runs at once on this data directory, across every engine process (null: the number
    /// of cores); more wait Queued, in order, and a newer push run of a project supersedes its waiting one.
    /// </summary>
    public int? MaxPipelineRuns { get; init; }

    /// <summary>
    /// The most the `cache-files` archives of every project may take together under the data directory; going over
    /// evicts the least recently used (a restore is a use). One archive larger than this is not saved.
    /// </summary>
    public long PipelineCacheCapBytes { get; init; } = 5L << 30;

    /// <summary>As <see cref="PipelineCacheCapBytes"/> for `store-files` artifacts (a fetch is a use).</summary>
    public long PipelineArtifactCapBytes { get; init; } = 5L << 30;

    /// <summary>How long a cache or artifact whose step gives no `expiry` is kept.</summary>
    public TimeSpan PipelineFileExpiry { get; init; } = TimeSpan.FromDays(7);

    /// <summary>
    /// How long the workspace of a run that failed or timed out is kept for debugging (a succeeded or cancelled run's
    /// is removed at once); removed when a later run starts after that. Zero: never kept.
    /// </summary>
    public TimeSpan FailedWorkspaceRetention { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Finished pipeline runs kept per project (rows, step rows and log directories); older ones are removed when a
    /// later run starts. A run whose failed workspace is still kept is kept with it.
    /// </summary>
    public int PipelineRunsKept { get; init; } = 200;

    /// <summary>The listener's telemetry sampler and watchdog (they run only inside the listener service).</summary>
    public WatchdogOptions Watchdog { get; init; } = new();
}

/// <summary>How often the listener samples apps, and how its watchdog restarts one that died or turned unhealthy.</summary>
public sealed record WatchdogOptions
{
    /// <summary>How often every app and the host are sampled; process-tracked apps are checked for liveness at each sample.</summary>
    public TimeSpan SampleInterval { get; init; } = TimeSpan.FromSeconds(3);
    /// <summary>The bounds every front end accepts for <see cref="SampleInterval"/>, in whole seconds.</summary>
    public const int MinSampleIntervalSeconds = 1;
    public const int MaxSampleIntervalSeconds = 300;
    /// <summary>The first restart waits this long; each failed one doubles the wait, up to <see cref="BackoffCap"/>.</summary>
    public TimeSpan BackoffBase { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan BackoffCap { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>After this long healthy, the backoff and the failed-restart count start over.</summary>
    public TimeSpan ResetAfterHealthy { get; init; } = TimeSpan.FromMinutes(10);
    /// <summary>Failed restarts in a row after which the watchdog gives up (the project turns Failed).</summary>
    public int MaxRestarts { get; init; } = 5;
    /// <summary>False: sample only, never restart (nothing is marked Unhealthy either).</summary>
    public bool Enabled { get; init; } = true;
}
