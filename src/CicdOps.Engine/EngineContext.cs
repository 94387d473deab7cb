using CicdOps.Engine.Processes;
using CicdOps.Engine.Sandbox;
using CicdOps.Engine.Secrets;
using CicdOps.Engine.State;

namespace CicdOps.Engine;

/// <summary>What the engine's parts share: the database, the data layout, the options, the sandbox, the process tracker and the secrets.</summary>
internal sealed class EngineContext
{
    private readonly Lazy<IAppTracker> _tracker;

    public EngineContext(EngineOptions options, DataLayout layout, Database db, IProjectSandbox sandbox, Lazy<IAppTracker> tracker)
    {
        Options = options; Layout = layout; Db = db; Sandbox = sandbox; _tracker = tracker;
        Secrets = new EngineSecrets(db, layout.Root);
    }

    public EngineOptions Options { get; }
    public DataLayout Layout { get; }
    public Database Db { get; }
    public IProjectSandbox Sandbox { get; }
    /// <summary>
    /// Which processes are a project's app or a deployment's (cgroups, or process groups as the fallback). Made at first
    /// use: finding it reads the mount table and hashes the data path (OpenSSL), which a quick read-only command never needs.
    /// </summary>
    public IAppTracker Tracker => _tracker.Value;
    public EngineSecrets Secrets { get; }
    private Pipelines.PipelineDispatcher? _pipelines;

    /// <summary>Runs the pipeline runs webhooks queued in this process (made on first use).</summary>
    public Pipelines.PipelineDispatcher Pipelines
    {
        get
        {
            if (Volatile.Read(ref _pipelines) is { } d) return d;
            Interlocked.CompareExchange(ref _pipelines, new Pipelines.PipelineDispatcher(this), null);
            return _pipelines!;
        }
    }

    /// <summary>Stops the background pipeline runs, if any were started (engine disposal).</summary>
    public void StopPipelines() => Volatile.Read(ref _pipelines)?.Dispose();

    /// <summary>Pulsed whenever this process changes a deployment, so in-process waiters wake at once.</summary>
    public ChangeSignal Changes { get; } = new();
}

/// <summary>
/// A reusable "something changed" pulse: waiters get a task that completes at the next pulse. A runner's stage writes
/// (twenty-odd per deploy) only wake waiters that report progress: one that waits for the outcome alone would read the
/// status at each of them, on the core the deploy needs.
/// </summary>
internal sealed class ChangeSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _nextStatus = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes at the next change of any kind.</summary>
    public Task Next => Volatile.Read(ref _next).Task;

    /// <summary>Completes at the next change that may end a wait: a status, a request, a runner starting or ending.</summary>
    public Task NextStatus => Volatile.Read(ref _nextStatus).Task;

    public void Pulse()
    {
        PulseProgress();
        Interlocked.Exchange(ref _nextStatus, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>A change only a progress report shows (a stage begun or ended, a commit resolved, an app recorded).</summary>
    public void PulseProgress() => Interlocked.Exchange(ref _next, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
