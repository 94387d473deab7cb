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
    public async Task<PipelineRun> RunPipelineAsync(string project, string? commit = null, string eventName = "push", CancellationToken cancellationToken = default)
    {
        var p = GetProject(project);
        if (!System.Text.RegularExpressions.Regex.IsMatch(eventName, "^(push|pull_request|tag|manual)$"))
            throw new CicdException(CicdError.InvalidArgument, $"Event '{eventName}' is not one of push, pull_request, tag, manual.", eventName);
        var startedAt = DateTimeOffset.UtcNow;
        var runId = startedAt.ToString("yyyyMMddHHmmss") + "-" + Guid.NewGuid().ToString("N")[..8];
        var logDirectory = Path.Combine(_ctx.Layout.ProjectLogs(p.Name), "pipelines", runId);
        Directory.CreateDirectory(logDirectory);
        _ctx.Db.Write(c => PipelineRunStore.Start(c, runId, p.Name, commit, eventName, startedAt, logDirectory));
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var watch = new PipelineCancelWatch(() => _ctx.Db.Read(c => PipelineRunStore.CancelRequested(c, runId)), cancel);
        PipelineRun run;
        try
        {
            run = await RunPipelineCoreAsync(p, runId, logDirectory, commit, eventName, cancel.Token);
        }
        catch (Exception e)
        {
            // Recorded as it ended, so the row never stays Running; the caller still gets the error.
            var cancelled = e is OperationCanceledException;
            var failed = new PipelineRun(runId, p.Name, commit ?? "", eventName, cancelled ? PipelineRunStatus.Cancelled : PipelineRunStatus.Failed,
                cancelled ? "the run was cancelled" : e.Message.Split('\n')[0], DateTimeOffset.UtcNow - startedAt, Array.Empty<PipelineStepResult>(), logDirectory);
            _ctx.Db.Write(c => PipelineRunStore.Finish(c, failed));
            throw;
        }
        run = run with { StartedAt = startedAt };
        _ctx.Db.Write(c => PipelineRunStore.Finish(c, run));
        return run;
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

    private async Task<PipelineRun> RunPipelineCoreAsync(Project p, string runId, string logDirectory, string? commit, string eventName,
        CancellationToken cancellationToken)
    {
        // Like a deploy: the project's account, made now if this is the first thing that runs as it.
        (var account, p, _) = Sandbox.ProjectAccounts.ForRun(_ctx, p);
        var secrets = _ctx.Secrets.Load(p.Name);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var root = PipelineWorkspace.RootFor(_ctx.Sandbox, account, _ctx.Layout, p.Name);
        var (workspace, sha) = await PipelineWorkspace.CreateAsync(_ctx.Sandbox, account, root, runId, p.Repository, p.Branch, commit, cancellationToken);
        using (workspace)
        {
            PipelineRun Failed(string reason) => new(runId, p.Name, sha, eventName, PipelineRunStatus.Failed, reason, started.Elapsed,
                Array.Empty<PipelineStepResult>(), logDirectory);

            if (PipelineFiles.Find(workspace.Path) is not { } file)
                return Failed("the commit has no .cicd/pipeline.json or .simpleci/pipeline.json");
            var info = new FileInfo(file);
            // A step of an earlier commit cannot have planted a link here (fresh checkout), but the file is the commit's: no links.
            if (info.LinkTarget is not null || info.Length > PipelineReader.MaxBytes)
                return Failed($"{Path.GetRelativePath(workspace.Path, file)} is a symbolic link or larger than {PipelineReader.MaxBytes} bytes");
            var read = PipelineReader.Read(await File.ReadAllTextAsync(file, cancellationToken));
            if (read.Definition is not { } definition)
                return Failed($"{Path.GetRelativePath(workspace.Path, file)} is invalid: {string.Join("; ", read.Problems)}");
            if (!definition.Events.Contains(eventName) && eventName != "manual")
                return new PipelineRun(runId, p.Name, sha, eventName, PipelineRunStatus.Succeeded, $"the pipeline does not run for {eventName} events",
                    started.Elapsed, Array.Empty<PipelineStepResult>(), logDirectory);

            var tiers = RunnerTiers.With(_ctx.Options.RunnerTiers);
            var tierName = definition.Tier ?? RunnerTiers.Default;
            if (!tiers.TryGetValue(tierName, out var tier))
                return Failed($"tier '{tierName}' is not configured on this server (it has {string.Join(", ", tiers.Keys.Order())})");

            var (author, message) = await workspace.DescribeAsync(_ctx.Sandbox, account, sha, cancellationToken);
            var context = new PipelineContext
            {
                Event = eventName, Repository = p.Repository, Branch = p.Branch, Ref = "refs/heads/" + p.Branch, Commit = sha,
                Author = author, Message = message, Project = p.Name, RunId = runId,
            };
            var request = new PipelineRunRequest(definition, context, workspace.Path, logDirectory,
                vars => _ctx.Sandbox.PlanLaunch(account, vars, secrets), secrets)
            {
                Tier = tier, TierName = tierName, Tracker = _ctx.Tracker, Unit = Processes.AppUnits.PipelineRun(runId),
            };
            var result = await PipelineRunner.RunAsync(request, cancellationToken);
            var failed = result.Steps.FirstOrDefault(s => s.Status is PipelineStepStatus.Failed or PipelineStepStatus.TimedOut or PipelineStepStatus.Cancelled
                && (!definition.Steps[s.Index].ContinueOnError || result.Status != PipelineStepStatus.Succeeded));
            var status = result.Status switch
            {
                PipelineStepStatus.Succeeded => PipelineRunStatus.Succeeded,
                PipelineStepStatus.TimedOut => PipelineRunStatus.TimedOut,
                PipelineStepStatus.Cancelled => PipelineRunStatus.Cancelled,
                _ => PipelineRunStatus.Failed,
            };
            var reason = status == PipelineRunStatus.Succeeded || failed is null ? null : $"step '{failed.Name}': {failed.Reason}";
            return new PipelineRun(runId, p.Name, sha, eventName, status, reason, started.Elapsed, result.Steps, logDirectory);
        }
    }
}
