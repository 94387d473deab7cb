namespace CicdOps.Engine.Pipelines.Statuses;

/// <summary>
/// Reports one run's commit status to its forge: pending when its steps start, then how it ended. Only for projects
/// with a status token (null otherwise). A post that fails never fails the run: the first failure is written once to
/// the run's commit-status.log (and the listener log when the listener runs it), with the reason and the token masked.
/// </summary>
internal sealed class CommitStatusReporter
{
    public const string LogFile = "commit-status.log";
    private readonly CommitStatusTarget? _target;
    private readonly string _token;
    private readonly string _context;
    private readonly string _logDirectory;
    private readonly Action<string>? _log;
    private bool _reported;

    private readonly Secrets.SecretMasker _masker;

    private CommitStatusReporter(CommitStatusTarget? target, string token, string project, string logDirectory, Action<string>? log,
        Secrets.SecretMasker masker)
    {
        _masker = masker;
        _target = target;
        _token = token;
        _context = "cicdops/" + project;
        _logDirectory = logDirectory;
        _log = log;
    }

    /// <summary>The project's reporter; null when it has no status token (statuses are off).</summary>
    public static CommitStatusReporter? For(EngineContext ctx, Project p, string? provider, string logDirectory, Action<string>? log)
    {
        if (ctx.Secrets.StatusToken(p.Name) is not { } token) return null;
        var target = CommitStatusTarget.Resolve(Git.RepositoryCredentials.ForGit(ctx, p), p.CommitStatusApi, provider, out var why);
        // A reason can quote what a step or condition printed: the project's secrets never leave for the forge.
        var reporter = new CommitStatusReporter(target, token, p.Name, logDirectory, log, Secrets.EngineSecrets.MaskerFor(ctx.Secrets.Load(p.Name)));
        if (target is null) reporter.Fail($"commit statuses not sent: {why}");
        return reporter;
    }

    public Task PendingAsync(string sha, string runId) => PostAsync(sha, CommitState.Pending, $"pipeline run {runId} is running");

    public Task FinishedAsync(PipelineRun run)
    {
        CommitState? state = run.Status switch
        {
            PipelineRunStatus.Succeeded => CommitState.Success,
            PipelineRunStatus.Failed or PipelineRunStatus.TimedOut => CommitState.Failure,
            PipelineRunStatus.Cancelled => CommitState.Cancelled,
            _ => null,
        };
        if (state is null || run.Commit.Length == 0) return Task.CompletedTask;
        var description = $"pipeline run {run.RunId} {run.Status.ToString().ToLowerInvariant()}" + (run.Reason is { } r ? ": " + r : "");
        return PostAsync(run.Commit, state.Value, description);
    }

    private async Task PostAsync(string sha, CommitState state, string description)
    {
        if (_target is null) return;
        var error = await CommitStatusClient.PostAsync(_target, _token, sha, state, _context, _masker.Mask(description), CancellationToken.None);
        if (error is not null) Fail($"commit status {state.ToString().ToLowerInvariant()} for {sha[..Math.Min(12, sha.Length)]} not sent: {error}");
    }

    private void Fail(string line)
    {
        if (_reported) return;
        _reported = true;
        try
        {
            Directory.CreateDirectory(_logDirectory);
            File.AppendAllText(Path.Combine(_logDirectory, LogFile), $"{DateTimeOffset.UtcNow:O} {line}\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        _log?.Invoke(line);
    }
}
