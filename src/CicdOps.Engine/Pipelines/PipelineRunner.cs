using System.Diagnostics;
using System.Text.Json.Nodes;
using CicdOps.Engine.Processes;
using CicdOps.Engine.Secrets;

namespace CicdOps.Engine.Pipelines;

/// <summary>
/// Runs a validated pipeline's steps one after another in a workspace. Per step: the condition (false: Skipped; an
/// error: Failed), then each command rendered (values as environment variables, see <see cref="CommandTemplate"/>)
/// and run with bash as the project's account, stopping at the first that fails. A step that fails, times out or
/// is cancelled ends the run — later steps are NotRun — unless it has continueOnError. Time limits: the step's
/// `timeout`, bounded by what is left of the pipeline's (its `timeout`, at most its tier's). As in SimpleCI, the
/// pipeline's limit stops everything one second early, so the report is made within it. Every command joins the
/// run's unit (<see cref="RunUnit"/>): the tier's memory, CPU and process limits hold, and nothing of the run survives it.
/// </summary>
internal static class PipelineRunner
{
    private static readonly string Bash = new[] { "/bin/bash", "/usr/bin/bash" }.FirstOrDefault(File.Exists) ?? "/bin/bash";

    public static async Task<PipelineRunResult> RunAsync(PipelineRunRequest request, CancellationToken cancellationToken)
    {
        var pipeline = request.Pipeline;
        var total = Stopwatch.StartNew();
        var pipelineLimit = request.Tier.Timeout;
        if (pipeline.TimeoutSeconds is { } s && TimeSpan.FromSeconds(s) < pipelineLimit) pipelineLimit = TimeSpan.FromSeconds(s);
        // SimpleCI's rule: stop one second before the limit, so stopping and reporting happen within it.
        var stopAt = pipelineLimit > TimeSpan.FromSeconds(2) ? pipelineLimit - TimeSpan.FromSeconds(1) : pipelineLimit;
        var masker = SecretMasker.Create(request.Secrets.Values);
        var context = request.Context.ToJson();
        Directory.CreateDirectory(request.LogDirectory);

        using var unit = new RunUnit(request.Tracker, request.Unit, request.Tier);
        var files = request.Files is { } store ? new FileSteps(request, store, unit, masker) : null;
        var results = new List<PipelineStepResult>();
        PipelineStepStatus? ended = null;
        foreach (var step in pipeline.Steps)
        {
            if (ended is not null)
            {
                results.Add(new PipelineStepResult(step.Index, step.Name, PipelineStepStatus.NotRun, null, TimeSpan.Zero, null, null));
                continue;
            }
            var remaining = stopAt - total.Elapsed;
            var result = await RunStepAsync(request, step, context, masker, unit, files, remaining, pipelineLimit, cancellationToken);
            results.Add(result);
            if (result.Status is PipelineStepStatus.Failed or PipelineStepStatus.TimedOut or PipelineStepStatus.Cancelled)
            {
                // Cancellation and the pipeline's own time limit end the run even for continueOnError.
                var pipelineOver = total.Elapsed >= stopAt || cancellationToken.IsCancellationRequested;
                if (!step.ContinueOnError || pipelineOver) ended = result.Status;
            }
        }
        // Caches are saved only from a run that succeeded (a failed build's files are no better than none).
        if (ended is null && files is not null) await files.SaveCachesAsync(stopAt - total.Elapsed, cancellationToken);
        await unit.StopAllAsync();
        return new PipelineRunResult(ended switch
        {
            null => PipelineStepStatus.Succeeded,
            PipelineStepStatus.Cancelled => PipelineStepStatus.Cancelled,
            PipelineStepStatus.TimedOut => PipelineStepStatus.TimedOut,
            _ => PipelineStepStatus.Failed,
        }, results, total.Elapsed);
    }

    private static async Task<PipelineStepResult> RunStepAsync(PipelineRunRequest request, PipelineStep step, JsonObject context,
        SecretMasker masker, RunUnit unit, FileSteps? files, TimeSpan remaining, TimeSpan pipelineLimit, CancellationToken cancellationToken)
    {
        var sw = Stopwatch.StartNew();
        var variables = StepVariables(request, step);
        var env = PipelineContext.EnvToJson(Merge(variables, request.Secrets));
        PipelineStepResult Done(PipelineStepStatus status, int? code, string? reason, string? log) =>
            new(step.Index, step.Name, status, code, sw.Elapsed, reason is null ? null : masker.Mask(reason), log);

        if (cancellationToken.IsCancellationRequested) return Done(PipelineStepStatus.Cancelled, null, "the run was cancelled", null);
        if (step.Condition is { } condition)
        {
            try
            {
                if (!ConditionEvaluator.Evaluate(step.Name, condition, env, context, request.ConditionLimits))
                    return Done(PipelineStepStatus.Skipped, null, "condition is false", null);
            }
            catch (ConditionException e) { return Done(PipelineStepStatus.Failed, null, e.Message, null); }
        }
        var stepLimit = step.TimeoutSeconds is { } t ? TimeSpan.FromSeconds(t) : remaining;
        var limitIsPipelines = stepLimit >= remaining;
        if (limitIsPipelines) stepLimit = remaining;
        if (step.Type != PipelineStepType.Run)
        {
            if (files is null)
                return Done(PipelineStepStatus.Skipped, null, $"{(step.Type == PipelineStepType.CacheFiles ? "cache-files" : "store-files")} steps need the engine's file store", null);
            var outcome = await files.RunAsync(step, env, context, variables, stepLimit, cancellationToken);
            // A timeout reports the limit that applied, as a command's does.
            var reason = outcome.Status == PipelineStepStatus.TimedOut ? $"timed out after {(limitIsPipelines ? pipelineLimit : stepLimit).TotalSeconds:0} s" : outcome.Reason;
            return Done(outcome.Status, null, reason, outcome.LogPath);
        }
        var logPath = Path.Combine(request.LogDirectory, $"step-{step.Index}.log");
        using var log = new StepLog(logPath, masker);
        log.Runner(unit.Describe(request.TierName));
        int? lastCode = null;
        for (var i = 0; i < step.Run.Count; i++)
        {
            RenderedCommand command;
            try { command = CommandTemplate.Render(step.Run[i], env, context); }
            catch (TemplateException e)
            {
                var where = step.RunIsList ? $"run[{i}]" : "run";
                log.Runner($"{where}: {e.Message}");
                return Done(PipelineStepStatus.Failed, null, $"{where}: {e.Message}", logPath);
            }
            log.Runner("+ " + command.Command);
            var left = stepLimit - sw.Elapsed;
            if (left <= TimeSpan.Zero) return TimedOut();
            ScriptResult result;
            try
            {
                var plan = request.PlanLaunch(Merge(variables, command.Values));
                var psi = ProcessLaunch.Create(new LaunchSpec(new[] { Bash }.Concat(command.BashArguments).ToList(), plan), request.Workspace, unit.Join);
                var oomBefore = unit.OomKills();
                result = await StepCommandRunner.RunAsync(psi, left, log, cancellationToken);
                // Whatever the command left in the run's unit (a setsid'd daemon the group stop missed) ends with it too.
                if (await unit.StopAllAsync()) log.Runner("stopped the processes the command left running in the run's cgroup");
                if (unit.OomKills() > oomBefore && !result.Succeeded)
                {
                    var reason = $"memory limit ({request.Tier.MemoryText}) exceeded";
                    log.Runner(reason + ": the kernel's OOM killer stopped the command");
                    return Done(PipelineStepStatus.Failed, result.ExitCode, reason, logPath);
                }
            }
            catch (Exception e) when (e is CicdException or ArgumentException)
            {
                // A variable the sandbox refuses (a secret of the same name, a NUL in a value): the message names it, never its value.
                log.Runner(e.Message);
                return Done(PipelineStepStatus.Failed, null, e.Message, logPath);
            }
            lastCode = result.ExitCode;
            if (result.Cancelled)
            {
                log.Runner("cancelled");
                return Done(PipelineStepStatus.Cancelled, null, "the run was cancelled", logPath);
            }
            if (result.TimedOut) return TimedOut();
            if (result.ExitCode != 0)
            {
                var reason = $"command {(step.Run.Count > 1 ? $"{i + 1} of {step.Run.Count} " : "")}exited with code {result.ExitCode}";
                log.Runner(reason);
                return Done(PipelineStepStatus.Failed, result.ExitCode, reason, logPath);
            }
        }
        log.Runner("step succeeded");
        return Done(PipelineStepStatus.Succeeded, lastCode, null, logPath);

        PipelineStepResult TimedOut()
        {
            var reason = $"timed out after {(limitIsPipelines ? pipelineLimit : stepLimit).TotalSeconds:0} s";
            log.Runner(reason);
            return Done(PipelineStepStatus.TimedOut, null, reason, logPath);
        }
    }

    /// <summary>The step's own variables: CI=true, then the pipeline's env, then the step's (a step overrides its pipeline).</summary>
    private static Dictionary<string, string> StepVariables(PipelineRunRequest request, PipelineStep step)
    {
        var v = new Dictionary<string, string>(StringComparer.Ordinal) { ["CI"] = "true" };
        foreach (var (k, val) in request.Pipeline.Env) v[k] = val;
        foreach (var (k, val) in step.Env) v[k] = val;
        return v;
    }

    private static Dictionary<string, string> Merge(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b)
    {
        var m = new Dictionary<string, string>(a, StringComparer.Ordinal);
        foreach (var (k, v) in b) m[k] = v;
        return m;
    }
}
