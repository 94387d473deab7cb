using CicdOps.Engine.Pipelines;
using CicdOps.Engine.State;

namespace CicdOps.Engine;

public sealed partial class CicdEngine
{
    /// <summary>
    /// Validates a pipeline file (schema, then conditions and `run` templates compiled). Without a path: the
    /// directory's .cicd/pipeline.json, else its .simpleci/pipeline.json. Needs no data directory. A file that does
    /// not exist is a CicdException (InvalidPath); an invalid file is a result with its errors.
    /// </summary>
    public static PipelineValidationResult ValidatePipeline(string? path, string directory)
    {
        string file;
        if (string.IsNullOrEmpty(path))
        {
            file = PipelineFiles.Find(directory) ?? throw new CicdException(CicdError.InvalidPath,
                $"No pipeline file in '{directory}': neither .cicd/pipeline.json nor .simpleci/pipeline.json exists.", directory);
        }
        else
        {
            file = Path.GetFullPath(path, directory);
            if (Directory.Exists(file) || !File.Exists(file))
                throw new CicdException(CicdError.InvalidPath, $"Pipeline file '{file}' does not exist.", file);
        }

        var length = new FileInfo(file).Length;
        if (length > PipelineReader.MaxBytes)
            return new PipelineValidationResult(file, false, 0, new[] { $"/: the file has {length} bytes; a pipeline file may have at most {PipelineReader.MaxBytes}" });
        string text;
        try { text = File.ReadAllText(file); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CicdException(CicdError.InvalidPath, $"Cannot read pipeline file '{file}': {e.Message}", file, inner: e);
        }
        var result = PipelineReader.Read(text);
        return new PipelineValidationResult(file, result.IsValid, result.Definition?.Steps.Count ?? 0,
            result.Problems.Select(p => p.ToString()).ToArray());
    }

    /// <summary>
    /// Runs the project's pipeline for a commit (default: the branch tip) in a fresh workspace: a checkout of that
    /// exact commit owned by the project's account, deleted afterwards. The steps run as that account with the
    /// project's secrets exported and masked in the step logs (logs/PROJECT/pipelines/RUN/step-N.log). A missing or
    /// invalid pipeline file is a Failed run whose reason says why. The run is recorded (SQLite) from its start as
    /// Running, so other processes list, follow (<see cref="FollowPipelineRunLogAsync"/>) and cancel
    /// (<see cref="CancelPipelineRun"/>) it; <paramref name="cancellationToken"/> cancels it too.
    /// </summary>
    public Task<PipelineRun> RunPipelineAsync(string project, string? commit = null, string eventName = "push", CancellationToken cancellationToken = default) =>
        PipelineRuns.RunAsync(_ctx, GetProject(project), commit, eventName, cancellationToken);

    /// <summary>
    /// Sets the token the project's pipeline runs post commit statuses with (GitHub, GitLab, Gitea, Forgejo). Stored sealed
    /// like secrets under a reserved name: never injected into steps, listed or printed. Statuses are off without one.
    /// </summary>
    public void SetCommitStatusToken(string project, byte[] token)
    {
        ArgumentNullException.ThrowIfNull(token);
        _ctx.Secrets.Store.SetStatusToken(GetProject(project).Name, token);
    }

    /// <summary>Removes the project's commit status token (statuses stop); false when it had none.</summary>
    public bool RemoveCommitStatusToken(string project) => _ctx.Secrets.Store.RemoveStatusToken(GetProject(project).Name);

    /// <summary>Whether the project has a commit status token (nothing is decrypted).</summary>
    public bool HasCommitStatusToken(string project)
    {
        var name = GetProject(project).Name;
        return _ctx.Db.Read(c => Convert.ToInt64(c.Scalar("SELECT EXISTS (SELECT 1 FROM secrets WHERE project = $p AND name = $n)",
            ("$p", name), ("$n", Secrets.SecretStore.StatusTokenName))) == 1);
    }

    /// <summary>A project's pipeline runs (running ones too) with their steps, newest first.</summary>
    public IReadOnlyList<PipelineRun> GetPipelineRuns(string project, int limit = 20)
    {
        var p = GetProject(project).Name;
        if (limit < 1) throw new CicdException(CicdError.InvalidArgument, "The limit must be at least 1.", limit);
        return _ctx.Db.Read(c => PipelineRunStore.List(c, p, limit));
    }

    /// <summary>One pipeline run by its id.</summary>
    public PipelineRun GetPipelineRun(string runId) =>
        _ctx.Db.Read(c => PipelineRunStore.Get(c, runId)) ?? throw new CicdException(CicdError.PipelineRunNotFound,
            $"No pipeline run '{runId}'.", runId);

    /// <summary>
    /// Cancels a running pipeline run (whichever process runs it: it polls for the request) and waits up to
    /// <paramref name="wait"/> (default 30 s) for it to stop. A run that is not running is a NothingToCancel error.
    /// </summary>
    public async Task<PipelineRun> CancelPipelineRunAsync(string runId, TimeSpan? wait = null)
    {
        var run = GetPipelineRun(runId);
        if (run.IsFinished || !_ctx.Db.Write(c => PipelineRunStore.RequestCancel(c, runId)))
            throw new CicdException(CicdError.NothingToCancel, $"Pipeline run '{runId}' is not running (it {run.Status}).", runId);
        var until = DateTime.UtcNow + (wait ?? TimeSpan.FromSeconds(30));
        while (DateTime.UtcNow < until)
        {
            run = GetPipelineRun(runId);
            if (run.IsFinished) break;
            await Task.Delay(100);
        }
        return run;
    }

    /// <summary>
    /// Writes a run's step logs line by line to <paramref name="line"/>: one step's (<paramref name="step"/>), or every
    /// step's in order, each after a "== step N: NAME ==" line. With <paramref name="follow"/>, keeps reading until
    /// the run has finished (or <paramref name="cancellationToken"/> ends it).
    /// </summary>
    public Task FollowPipelineRunLogAsync(string runId, int? step, bool follow, Action<string> line, CancellationToken cancellationToken = default)
    {
        var run = GetPipelineRun(runId);
        if (step is < 0) throw new CicdException(CicdError.InvalidArgument, $"Step {step} does not exist: steps are numbered from 0.", step);
        return PipelineLogReader.ReadAsync(run.LogDirectory, step, follow, () => GetPipelineRun(runId), line, cancellationToken);
    }

    /// <summary>
    /// Pipeline artifacts (`store-files`) and caches (`cache-files`) that have not expired, newest first: every
    /// project's, or one project's; with <paramref name="runId"/> only what that run kept.
    /// </summary>
    public IReadOnlyList<PipelineArtifact> GetPipelineArtifacts(string? project = null, string? runId = null, PipelineFileKind? kind = null)
    {
        if (project is not null) project = GetProject(project).Name;
        if (runId is not null) GetPipelineRun(runId);
        return PipelineFileStore.For(_ctx).List(project, runId, kind, DateTimeOffset.UtcNow).Select(x => x.Entry).ToList();
    }

    /// <summary>
    /// Writes one artifact's (or cache's) tar archive to <paramref name="destination"/> (a file path; an existing file
    /// only with <paramref name="force"/>). An artifact is chosen by key and run (without a run: the project's newest
    /// of that key); a cache by key. Fetching counts as a use for the least-recently-used eviction.
    /// </summary>
    public PipelineArtifact SavePipelineArtifact(string project, string key, string destination, string? runId = null,
        PipelineFileKind kind = PipelineFileKind.Artifact, bool force = false, string forceFlag = "--force")
    {
        var name = GetProject(project).Name;
        if (kind == PipelineFileKind.Cache && runId is not null)
            throw new CicdException(CicdError.InvalidArgument, "A cache belongs to its project and key, not to a run: leave the run out.", runId);
        var store = PipelineFileStore.For(_ctx);
        var match = store.List(name, runId, kind, DateTimeOffset.UtcNow).FirstOrDefault(x => x.Entry.Key == key);
        if (match.Entry is null || !File.Exists(match.File))
            throw new CicdException(CicdError.ArtifactNotFound,
                $"Project '{name}' has no {(kind == PipelineFileKind.Cache ? "cache" : "artifact")} '{key}'{(runId is null ? "" : $" from run {runId}")} (or it expired).", key);
        var full = Path.GetFullPath(destination);
        if (Directory.Exists(full))
            throw new CicdException(CicdError.InvalidPath, $"'{full}' is a directory; give the archive's file name (e.g. {Path.Combine(full, "artifact.tar")}).", full);
        if (File.Exists(full) && !force)
            throw new CicdException(CicdError.InvalidPath, $"'{full}' exists; use {forceFlag} to replace it.", full);
        if (Path.GetDirectoryName(full) is { } dir && !Directory.Exists(dir))
            throw new CicdException(CicdError.InvalidPath, $"Directory '{dir}' does not exist.", dir);
        File.Copy(match.File, full, overwrite: force);
        store.Touch(match.Entry);
        return match.Entry;
    }

    /// <summary>For tests: what a later run's start would tidy, as of <paramref name="now"/> (expired files, old failed workspaces, dead runs).</summary>
    internal void PipelineHousekeepingAt(DateTimeOffset now) => PipelineHousekeeping.Run(_ctx, now);
}
