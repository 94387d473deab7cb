using System.Text.Json.Nodes;
using CicdOps.Engine.Secrets;

namespace CicdOps.Engine.Pipelines;

/// <summary>
/// The `cache-files` and `store-files` steps of one run. A cache step restores the archive saved under its key (a
/// miss is not a failure) into `downloadPath`, and its key is saved again from `fileNames` when the whole run
/// succeeded (<see cref="SaveCachesAsync"/>; a later step with the same key — SimpleCI's "repeat this step at the end"
/// — restores nothing and only decides which `fileNames` are saved). A store step archives `fileNames` at once as
/// an artifact of the run, kept until `expiry`. The files move through <see cref="WorkspaceArchive"/> as the account.
/// </summary>
internal sealed class FileSteps
{
    /// <summary>A rendered key longer than this is refused (it is shown in listings and stored in SQLite).</summary>
    public const int MaxKeyLength = 512;

    private readonly PipelineRunRequest _request;
    private readonly RunFiles _files;
    private readonly RunUnit _unit;
    private readonly SecretMasker _masker;
    private readonly Dictionary<string, (PipelineStep Step, string LogPath, IReadOnlyDictionary<string, string> Variables)> _caches = new(StringComparer.Ordinal);

    public FileSteps(PipelineRunRequest request, RunFiles files, RunUnit unit, SecretMasker masker)
    {
        _request = request;
        _files = files;
        _unit = unit;
        _masker = masker;
    }

    public sealed record Outcome(PipelineStepStatus Status, string? Reason, string LogPath);

    public async Task<Outcome> RunAsync(PipelineStep step, JsonObject env, JsonObject context, IReadOnlyDictionary<string, string> variables,
        TimeSpan limit, CancellationToken cancellationToken)
    {
        var logPath = Path.Combine(_request.LogDirectory, $"step-{step.Index}.log");
        using var log = new StepLog(logPath, _masker);
        Outcome Done(PipelineStepStatus status, string? reason, bool logIt = true)
        {
            if (reason is not null && logIt) log.Runner(reason);
            return new Outcome(status, reason, logPath);
        }

        string key;
        try { key = CommandTemplate.RenderText(step.Key!, env, context); }
        catch (TemplateException e) { return Done(PipelineStepStatus.Failed, "key: " + e.Message); }
        if (key.Length is 0 or > MaxKeyLength) return Done(PipelineStepStatus.Failed, $"key: the rendered key has {key.Length} characters (1 to {MaxKeyLength})");

        using var time = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        time.CancelAfter(limit > TimeSpan.Zero ? limit : TimeSpan.FromMilliseconds(1));
        try
        {
            return step.Type == PipelineStepType.CacheFiles
                ? await RestoreAsync(step, key, variables, log, Done, time.Token)
                : await StoreAsync(step, key, variables, log, Done, time.Token);
        }
        catch (OperationCanceledException)
        {
            return cancellationToken.IsCancellationRequested
                ? Done(PipelineStepStatus.Cancelled, "the run was cancelled")
                : Done(PipelineStepStatus.TimedOut, $"timed out after {limit.TotalSeconds:0} s");
        }
    }

    private async Task<Outcome> RestoreAsync(PipelineStep step, string key, IReadOnlyDictionary<string, string> variables, StepLog log,
        Func<PipelineStepStatus, string?, bool, Outcome> done, CancellationToken ct)
    {
        if (_caches.TryGetValue(key, out var earlier))
        {
            _caches[key] = (step, earlier.LogPath, variables);
            log.Runner($"cache '{key}' was looked up by step {earlier.Step.Index}; this step's fileNames are saved when the run succeeds");
            return done(PipelineStepStatus.Succeeded, null, false);
        }
        _caches[key] = (step, Path.Combine(_request.LogDirectory, $"step-{step.Index}.log"), variables);
        var archive = _files.Store.UseCache(_files.Project, key);
        if (archive is null)
        {
            log.Runner($"cache miss: nothing saved under '{key}'; {string.Join(", ", step.FileNames)} will be saved if the run succeeds");
            return done(PipelineStepStatus.Succeeded, $"cache miss (key '{key}')", false);
        }
        var into = step.DownloadPath ?? ".";
        log.Runner($"cache hit: restoring '{key}' ({Size(new FileInfo(archive).Length)}) into {into}");
        if (await WorkspaceArchive.UnpackAsync(_request.PlanLaunch(variables), _unit.Join, _request.Workspace, into, archive, ct) is { } error)
            return done(PipelineStepStatus.Failed, $"restoring cache '{key}' failed: {error}", true);
        await _unit.StopAllAsync();
        return done(PipelineStepStatus.Succeeded, $"cache hit (key '{key}')", false);
    }

    private async Task<Outcome> StoreAsync(PipelineStep step, string key, IReadOnlyDictionary<string, string> variables, StepLog log,
        Func<PipelineStepStatus, string?, bool, Outcome> done, CancellationToken ct)
    {
        var expires = PipelineFileStore.ExpiresAt(step.Expiry, DateTimeOffset.UtcNow, _files.DefaultExpiry);
        var (entry, problem) = await PackAsync(PipelineFileKind.Artifact, step, key, variables, expires, ct);
        if (entry is null) return done(PipelineStepStatus.Failed, problem, true);
        log.Runner($"stored {entry.FileCount} file{(entry.FileCount == 1 ? "" : "s")} ({Size(entry.SizeBytes)}) as artifact '{key}' until {entry.ExpiresAt:u}");
        return done(PipelineStepStatus.Succeeded, null, false);
    }

    /// <summary>At the end of a run that succeeded: each cache key saved from its last step's fileNames, logged in its first step's log.</summary>
    public async Task SaveCachesAsync(TimeSpan limit, CancellationToken cancellationToken)
    {
        foreach (var (key, (step, logPath, variables)) in _caches)
        {
            using var log = new StepLog(logPath, _masker, append: true);
            if (limit <= TimeSpan.Zero || cancellationToken.IsCancellationRequested)
            {
                log.Runner($"cache '{key}' not saved: no time left in the run");
                continue;
            }
            using var time = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            time.CancelAfter(limit);
            try
            {
                var expires = PipelineFileStore.ExpiresAt(step.Expiry, DateTimeOffset.UtcNow, _files.DefaultExpiry);
                var (entry, problem) = await PackAsync(PipelineFileKind.Cache, step, key, variables, expires, time.Token);
                log.Runner(entry is null ? $"cache '{key}' not saved: {problem}"
                    : $"saved cache '{key}': {entry.FileCount} file{(entry.FileCount == 1 ? "" : "s")} ({Size(entry.SizeBytes)}) until {entry.ExpiresAt:u}");
            }
            catch (OperationCanceledException) { log.Runner($"cache '{key}' not saved: the run's time ran out"); }
        }
    }

    private async Task<(PipelineArtifact? Entry, string? Problem)> PackAsync(PipelineFileKind kind, PipelineStep step, string key,
        IReadOnlyDictionary<string, string> variables, DateTimeOffset expires, CancellationToken ct)
    {
        var store = _files.Store;
        var final = store.FileFor(kind, _files.Project, _files.RunId, key);
        var temporary = store.TemporaryFor(final);
        try
        {
            var packed = await WorkspaceArchive.PackAsync(_request.PlanLaunch(variables), _unit.Join, _request.Workspace, step.FileNames, temporary,
                store.CapOf(kind), ct);
            await _unit.StopAllAsync();
            ct.ThrowIfCancellationRequested();
            if (packed.NothingMatched) return (null, $"no file matches {string.Join(", ", step.FileNames)}");
            if (packed.TooLarge) return (null, $"the files are larger than the {(kind == PipelineFileKind.Cache ? "cache" : "artifact")} cap ({Size(store.CapOf(kind))})");
            if (packed.Error is { } error) return (null, "archiving failed: " + error);
            return (store.Commit(kind, _files.Project, _files.RunId, step.Index, key, temporary, expires), null);
        }
        finally { if (File.Exists(temporary)) File.Delete(temporary); }
    }

    internal static string Size(long bytes) =>
        bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):0.#} GB" : bytes >= 1L << 20 ? $"{bytes / (double)(1L << 20):0.#} MB"
        : bytes >= 1L << 10 ? $"{bytes / 1024.0:0.#} KB" : $"{bytes} bytes";
}
