using CicdOps.Engine.State;

namespace CicdOps.Engine.Pipelines;

/// <summary>
/// One recorded pipeline run of a project's commit, for <see cref="CicdEngine.RunPipelineAsync"/> and for a deployment
/// that requires its pipeline: the row from the start (Running), a cancel watch, the run itself, the row finished.
/// </summary>
internal static class PipelineRuns
{
    public static async Task<PipelineRun> RunAsync(EngineContext ctx, Project p, string? commit, string eventName, CancellationToken cancellationToken)
    {
        if (!System.Text.RegularExpressions.Regex.IsMatch(eventName, "^(push|pull_request|tag|manual)$"))
            throw new CicdException(CicdError.InvalidArgument, $"Event '{eventName}' is not one of push, pull_request, tag, manual.", eventName);
        Housekeep(ctx);
        var (runId, logDirectory, startedAt) = NewRun(ctx.Layout, p.Name);
        var key = eventName == PipelineEventNames.Push ? "push:refs/heads/" + p.Branch : null;
        ctx.Db.Write(c =>
        {
            PipelineRunStore.Start(c, runId, p.Name, commit, eventName, startedAt, logDirectory, supersedeKey: key);
            if (key is not null) PipelineRunStore.SupersedeWaiting(c, p.Name, runId, key);
        });
        return (await ExecuteAsync(ctx, p, runId, logDirectory, startedAt, commit, eventName, null, waitForRunner: true, log: null, cancellationToken))!;
    }

    /// <summary>
    /// Queues a run for a webhook's event inside the delivery's transaction (durable: a 202 means it is recorded), owned by
    /// this process, whose <see cref="PipelineDispatcher"/> runs it once the transaction commits. A newer run of the same
    /// branch or pull request supersedes the one still waiting.
    /// </summary>
    public static string Queue(Microsoft.Data.Sqlite.SqliteConnection c, DataLayout layout, string project, PipelineTrigger trigger)
    {
        var (runId, logDirectory, startedAt) = NewRun(layout, project);
        PipelineRunStore.Start(c, runId, project, trigger.Commit, trigger.Event, startedAt, logDirectory, trigger.ToJson(), trigger.SupersedeKey);
        if (trigger.SupersedeKey is { } key) PipelineRunStore.SupersedeWaiting(c, project, runId, key);
        return runId;
    }

    /// <summary>
    /// Runs a webhook's queued run that <see cref="PipelineRunStore.TryClaim"/> moved to Running. A pushed commit without
    /// a pipeline file leaves no run behind (the row and its log directory are removed): most projects have none.
    /// </summary>
    public static async Task RunQueuedAsync(EngineContext ctx, string runId, Action<string>? log, CancellationToken cancellationToken)
    {
        var (row, trigger) = ctx.Db.Read(c => (PipelineRunStore.Get(c, runId), PipelineTrigger.FromJson(PipelineRunStore.Context(c, runId))));
        if (row is null || trigger is null) return;
        Housekeep(ctx);
        var p = ctx.Db.Read(c => ProjectStore.Find(c, row.Project));
        if (p is null) return; // removed meanwhile: its runs went with it
        await ExecuteAsync(ctx, p, runId, row.LogDirectory, row.StartedAt ?? DateTimeOffset.UtcNow, trigger.Commit, trigger.Event, trigger,
            waitForRunner: false, log, cancellationToken);
    }

    /// <summary>Before a run starts: expired caches/artifacts, failed workspaces past their time, runs of runners that died.</summary>
    private static void Housekeep(EngineContext ctx)
    {
        try { PipelineHousekeeping.Run(ctx, DateTimeOffset.UtcNow); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CicdException) { /* tidying up never stops a run */ }
    }

    private static (string RunId, string LogDirectory, DateTimeOffset StartedAt) NewRun(DataLayout layout, string project)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var runId = startedAt.ToString("yyyyMMddHHmmss") + "-" + Guid.NewGuid().ToString("N")[..8];
        return (runId, Path.Combine(layout.ProjectLogs(project), "pipelines", runId), startedAt);
    }

    /// <summary>
    /// The recorded run from its row on: waits for a runner slot (unless claimed already), runs, finishes the row, and
    /// reports the commit status when the project has a token. Null only for a webhook run that had nothing to run.
    /// </summary>
    private static async Task<PipelineRun?> ExecuteAsync(EngineContext ctx, Project p, string runId, string logDirectory, DateTimeOffset startedAt,
        string? commit, string eventName, PipelineTrigger? trigger, bool waitForRunner, Action<string>? log, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(logDirectory);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var watch = new PipelineCancelWatch(() => ctx.Db.Read(c => PipelineRunStore.CancelRequested(c, runId)), cancel);
        var statuses = Statuses.CommitStatusReporter.For(ctx, p, trigger?.Provider, logDirectory, log);
        PipelineRun run;
        try
        {
            if (waitForRunner && await WaitForRunnerAsync(ctx, runId, cancel.Token) is { } ended) return ended;
            run = await RunCoreAsync(ctx, p, runId, logDirectory, commit, eventName, trigger, statuses, cancel.Token);
        }
        catch (NothingToRun)
        {
            ctx.Db.Write(c => PipelineRunStore.Delete(c, runId));
            try { Directory.Delete(logDirectory, recursive: true); } catch (IOException) { }
            return null;
        }
        catch (Exception e)
        {
            // Recorded as it ended, so the row never stays Running; the caller still gets the error.
            var cancelled = e is OperationCanceledException;
            var failed = new PipelineRun(runId, p.Name, commit ?? "", eventName, cancelled ? PipelineRunStatus.Cancelled : PipelineRunStatus.Failed,
                cancelled ? "the run was cancelled" : e.Message.Split('\n')[0], DateTimeOffset.UtcNow - startedAt, Array.Empty<PipelineStepResult>(), logDirectory);
            ctx.Db.Write(c => Finish(c, failed));
            if (statuses is not null) await statuses.FinishedAsync(failed);
            throw;
        }
        run = run with { StartedAt = startedAt };
        ctx.Db.Write(c => Finish(c, run));
        if (statuses is not null && run.Reason?.StartsWith(NotForEvent, StringComparison.Ordinal) != true) await statuses.FinishedAsync(run);
        return run;
    }

    private const string NotForEvent = "the pipeline does not run for ";

    /// <summary>A webhook run whose commit has no pipeline file: nothing to record.</summary>
    private sealed class NothingToRun : Exception;

    /// <summary>The run's row finished, and its notification (passed / failed) in the same transaction.</summary>
    private static void Finish(Microsoft.Data.Sqlite.SqliteConnection c, PipelineRun run)
    {
        PipelineRunStore.Finish(c, run);
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
    }

    /// <summary>
    /// Waits Queued until the run may start (<see cref="EngineOptions.MaxPipelineRuns"/>, default the number of cores,
    /// counted across processes in SQLite). Null when it is Running; the run when it ended waiting (superseded by a
    /// newer push run of its project). Cancellation while waiting throws, and the run is recorded Cancelled.
    /// </summary>
    private static async Task<PipelineRun?> WaitForRunnerAsync(EngineContext ctx, string runId, CancellationToken cancellationToken)
    {
        var max = Math.Max(1, ctx.Options.MaxPipelineRuns ?? Environment.ProcessorCount);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var status = ctx.Db.Write(c => PipelineRunStore.TryClaim(c, runId, max));
            if (status == PipelineRunStatus.Running) return null;
            if (status != PipelineRunStatus.Queued) return ctx.Db.Read(c => PipelineRunStore.Get(c, runId));
            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }
    }

    private static async Task<PipelineRun> RunCoreAsync(EngineContext ctx, Project p, string runId, string logDirectory, string? commit, string eventName,
        PipelineTrigger? trigger, Statuses.CommitStatusReporter? statuses, CancellationToken cancellationToken)
    {
        // Like a deploy: the project's account, made now if this is the first thing that runs as it.
        (var account, p, _) = Sandbox.ProjectAccounts.ForRun(ctx, p);
        var secrets = ctx.Secrets.Load(p.Name);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var root = PipelineWorkspace.RootFor(ctx.Sandbox, account, ctx.Layout, p.Name);
        // A pull request's head may be on its source branch only (fetched too, best effort: a fork's is not there).
        var (workspace, sha) = await PipelineWorkspace.CreateAsync(ctx.Sandbox, account, root, runId, Git.RepositoryCredentials.ForGit(ctx, p), p.Branch, commit,
            cancellationToken, alsoFetch: trigger?.PullRequest?.SourceBranch);
        // Recorded before anything runs in it, so the workspace of a runner that dies is found and removed in time.
        ctx.Db.Write(c => PipelineWorkspaceRows.Record(c, runId, workspace.Path));
        var kept = false;
        try
        {
            var run = await RunInWorkspaceAsync(ctx, p, account, secrets, workspace, sha, runId, logDirectory, eventName, trigger, statuses, started,
                cancellationToken);
            // A failed run's workspace stays for debugging (FailedWorkspaceRetention); a succeeded or cancelled one goes now.
            var retention = ctx.Options.FailedWorkspaceRetention;
            if (run.Status is PipelineRunStatus.Failed or PipelineRunStatus.TimedOut && retention > TimeSpan.Zero)
            {
                workspace.Keep();
                kept = true;
                ctx.Db.Write(c => PipelineWorkspaceRows.Keep(c, runId, DateTimeOffset.UtcNow + retention));
            }
            return run;
        }
        finally
        {
            workspace.Dispose();
            if (!kept) ctx.Db.Write(c => PipelineWorkspaceRows.Keep(c, runId, null));
        }
    }

    private static async Task<PipelineRun> RunInWorkspaceAsync(EngineContext ctx, Project p, Sandbox.ServiceAccount account,
        IReadOnlyDictionary<string, string> secrets, PipelineWorkspace workspace, string sha, string runId, string logDirectory, string eventName,
        PipelineTrigger? trigger, Statuses.CommitStatusReporter? statuses, System.Diagnostics.Stopwatch started, CancellationToken cancellationToken)
    {
        {
            PipelineRun Failed(string reason) => new(runId, p.Name, sha, eventName, PipelineRunStatus.Failed, reason, started.Elapsed,
                Array.Empty<PipelineStepResult>(), logDirectory);

            if (PipelineFiles.Find(workspace.Path) is not { } file)
            {
                if (trigger is not null) throw new NothingToRun();
                return Failed("the commit has no .cicd/pipeline.json or .simpleci/pipeline.json");
            }
            var info = new FileInfo(file);
            // A step of an earlier commit cannot have planted a link here (fresh checkout), but the file is the commit's: no links.
            if (info.LinkTarget is not null || info.Length > PipelineReader.MaxBytes)
                return Failed($"{Path.GetRelativePath(workspace.Path, file)} is a symbolic link or larger than {PipelineReader.MaxBytes} bytes");
            var read = PipelineReader.Read(await File.ReadAllTextAsync(file, cancellationToken));
            if (read.Definition is not { } definition)
                return Failed($"{Path.GetRelativePath(workspace.Path, file)} is invalid: {string.Join("; ", read.Problems)}");
            if (!definition.Events.Contains(eventName) && eventName != "manual")
                return new PipelineRun(runId, p.Name, sha, eventName, PipelineRunStatus.Succeeded, $"{NotForEvent}{eventName} events",
                    started.Elapsed, Array.Empty<PipelineStepResult>(), logDirectory);

            var tiers = RunnerTiers.With(ctx.Options.RunnerTiers);
            var tierName = definition.Tier ?? RunnerTiers.Default;
            if (!tiers.TryGetValue(tierName, out var tier))
                return Failed($"tier '{tierName}' is not configured on this server (it has {string.Join(", ", tiers.Keys.Order())})");

            var (author, message) = await workspace.DescribeAsync(ctx.Sandbox, account, sha, cancellationToken);
            var context = new PipelineContext
            {
                Event = eventName, Repository = p.Repository, Branch = trigger?.Branch ?? p.Branch, Ref = trigger?.Ref is { Length: > 0 } r ? r : "refs/heads/" + p.Branch,
                Commit = sha, Author = author, Message = message, Project = p.Name, RunId = runId,
                Provider = trigger?.Provider ?? "", Before = trigger?.Before ?? "", DeliveryId = trigger?.DeliveryId ?? "", PullRequest = trigger?.PullRequest,
            };
            if (statuses is not null) await statuses.PendingAsync(sha, runId);
            var request = new PipelineRunRequest(definition, context, workspace.Path, logDirectory,
                vars => ctx.Sandbox.PlanLaunch(account, vars, secrets), secrets)
            {
                Tier = tier, TierName = tierName, Tracker = ctx.Tracker, Unit = Processes.AppUnits.PipelineRun(runId),
                Files = new RunFiles(PipelineFileStore.For(ctx), p.Name, runId, ctx.Options.PipelineFileExpiry),
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
