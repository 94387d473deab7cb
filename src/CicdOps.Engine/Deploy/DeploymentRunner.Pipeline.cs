using CicdOps.Engine.Pipelines;

namespace CicdOps.Engine.Deploy;

internal sealed partial class DeploymentRunner
{
    /// <summary>
    /// For a project that requires its pipeline: runs it for the synced commit (event push for a webhook's deployment,
    /// manual otherwise) before anything is installed or stopped. Null when the run Succeeded (or the project does not
    /// require one); otherwise the deployment's Skipped reason, naming the run. Rollbacks and recovery go back to a
    /// commit that was deployed before, so they are not gated.
    /// </summary>
    private async Task<string?> PipelineGateAsync(string sha, CancellationToken ct)
    {
        if (!_p.RequirePipeline || _d.Trigger is DeploymentTrigger.Rollback or DeploymentTrigger.Recovery) return null;
        var eventName = _d.Trigger == DeploymentTrigger.Webhook ? "push" : "manual";
        _log.Write("pipeline", $"the project requires its pipeline: running it for {Short(sha)} ({eventName})");
        PipelineRun run;
        try { run = await PipelineRuns.RunAsync(_ctx, _p, sha, eventName, ct); }
        catch (CicdException e) { return $"pipeline could not run: {e.Message}"; }
        catch (OperationCanceledException) { return "pipeline cancelled"; }
        foreach (var step in run.Steps)
            _log.Write("pipeline", $"step {step.Index} '{step.Name}': {step.Status}{(step.Reason is null ? "" : " (" + step.Reason + ")")}");
        _log.Write("pipeline", $"run {run.RunId} {run.Status}; logs in {run.LogDirectory}");
        return run.Status == PipelineRunStatus.Succeeded ? null : $"pipeline run {run.RunId} {run.Status}: {run.Reason}";
    }
}
