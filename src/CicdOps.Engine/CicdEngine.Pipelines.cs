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
    /// invalid pipeline file is a Failed run whose reason says why. The run is recorded (SQLite) when it finishes;
    /// a run still in progress, or one whose process died, is not recorded yet.
    /// </summary>
    public async Task<PipelineRun> RunPipelineAsync(string project, string? commit = null, string eventName = "push", CancellationToken cancellationToken = default)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var run = await RunPipelineCoreAsync(project, commit, eventName, cancellationToken);
        _ctx.Db.Write(c =>
        {
            PipelineRunStore.Insert(c, run, startedAt);
            NotificationEventKind? kind = run.Status switch
            {
                PipelineRunStatus.Succeeded => NotificationEventKind.PipelinePassed,
                PipelineRunStatus.Failed or PipelineRunStatus.TimedOut => NotificationEventKind.PipelineFailed,
                _ => null,
            };
            if (kind is { } k)
                Notifications.NotificationOutbox.Enqueue(c, new Notifications.NotificationEvent(k)
                {
                    Project = run.Project, Commit = run.Commit, Repository = ProjectStore.Get(c, run.Project).Repository,
                    Reason = run.Reason ?? (run.Status == PipelineRunStatus.TimedOut ? "timed out" : null), Subject = run.RunId,
                    Command = $"cicdops pipeline runs {run.Project}",
                });
        });
        return run;
    }

    /// <summary>A project's finished pipeline runs with their steps, newest first.</summary>
    public IReadOnlyList<PipelineRun> GetPipelineRuns(string project, int limit = 20)
    {
        var p = GetProject(project).Name;
        if (limit < 1) throw new CicdException(CicdError.InvalidArgument, "The limit must be at least 1.", limit);
        return _ctx.Db.Read(c => PipelineRunStore.List(c, p, limit));
    }

    private async Task<PipelineRun> RunPipelineCoreAsync(string project, string? commit, string eventName, CancellationToken cancellationToken)
    {
        var p = GetProject(project);
        if (!System.Text.RegularExpressions.Regex.IsMatch(eventName, "^(push|pull_request|tag|manual)$"))
            throw new CicdException(CicdError.InvalidArgument, $"Event '{eventName}' is not one of push, pull_request, tag, manual.", eventName);
        var runId = DateTimeOffset.UtcNow.ToString("yyyyMMddHHmmss") + "-" + Guid.NewGuid().ToString("N")[..8];
        // Like a deploy: the project's account, made now if this is the first thing that runs as it.
        (var account, p, _) = Sandbox.ProjectAccounts.ForRun(_ctx, p);
        var secrets = _ctx.Secrets.Load(p.Name);
        var logDirectory = Path.Combine(_ctx.Layout.ProjectLogs(p.Name), "pipelines", runId);
        Directory.CreateDirectory(logDirectory);
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

            var (author, message) = await workspace.DescribeAsync(_ctx.Sandbox, account, sha, cancellationToken);
            var context = new PipelineContext
            {
                Event = eventName, Repository = p.Repository, Branch = p.Branch, Ref = "refs/heads/" + p.Branch, Commit = sha,
                Author = author, Message = message, Project = p.Name, RunId = runId,
            };
            var request = new PipelineRunRequest(definition, context, workspace.Path, logDirectory,
                vars => _ctx.Sandbox.PlanLaunch(account, vars, secrets), secrets);
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
