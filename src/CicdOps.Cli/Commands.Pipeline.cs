using System.CommandLine;
using CicdOps.Engine;

namespace CicdOps.Cli;

/// <summary>
/// `pipeline validate [FILE]`: a pipeline file checked locally (schema, conditions, templates; no data directory).
/// `pipeline run NAME`: the project's pipeline for a commit, in this process (Ctrl+C cancels it); `pipeline runs NAME`;
/// `pipeline logs RUN [--step N] [--follow]`; `pipeline cancel RUN` (a run in any process).
/// </summary>
internal static partial class Commands
{
    private static Command Pipeline()
    {
        var pipeline = new Command("pipeline", "Work with pipeline files (.cicd/pipeline.json, or SimpleCI's .simpleci/pipeline.json)");
        pipeline.Add(PipelineValidate());
        pipeline.Add(PipelineRun());
        pipeline.Add(PipelineRuns());
        pipeline.Add(PipelineLogs());
        pipeline.Add(PipelineCancel());
        return pipeline;
    }

    private static Argument<string> RunIdArgument() => new("RUN") { Description = "The run's id (see: cicdops pipeline runs NAME)" };

    private static Command PipelineLogs()
    {
        var run = RunIdArgument();
        var step = new Option<int?>("--step") { Description = "Only this step's log (steps are numbered from 0)", HelpName = "N" };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new lines until the run finishes" };
        var cmd = new Command("logs", "Print a pipeline run's step logs (every step's, or one with --step); --follow prints new lines as the run writes them")
            { run, step, follow };
        Act(cmd, async pr =>
        {
            using var engine = Open(pr);
            var id = pr.GetValue(run)!;
            var s = pr.GetValue(step);
            if (s is < 0) throw new CicdException(CicdError.InvalidArgument, $"--step {s} does not exist: steps are numbered from 0.", s);
            using (Interrupt.Catch())
                await engine.FollowPipelineRunLogAsync(id, s, pr.GetValue(follow), l => Console.Out.WriteLine(l), Interrupt.Token);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command PipelineCancel()
    {
        var run = RunIdArgument();
        var json = JsonOption();
        var cmd = new Command("cancel", "Cancel a running pipeline run, whichever process runs it, and wait for it to stop") { run, json };
        Act(cmd, async pr =>
        {
            using var engine = Open(pr);
            var result = await engine.CancelPipelineRunAsync(pr.GetValue(run)!);
            if (pr.GetValue(json)) Output.WriteJson(result);
            else Console.Out.WriteLine($"{result.Project}: pipeline run {result.RunId} {result.Status}"
                + (result.Reason is null ? "" : $" ({Output.OneLine(result.Reason)})"));
            return result.IsFinished ? ExitCodes.Ok : ExitCodes.Error;
        });
        return cmd;
    }

    private static Command PipelineRun()
    {
        var name = NameArgument();
        var commit = new Option<string?>("--commit") { Description = "Run for this commit (full or abbreviated SHA) instead of the branch tip", HelpName = "SHA" };
        var eventName = new Option<string>("--event")
        {
            Description = "The event conditions see as context.event", HelpName = "EVENT", DefaultValueFactory = _ => "manual",
        };
        eventName.AcceptOnlyFromAmong("push", "pull_request", "tag", "manual");
        var json = JsonOption();
        var cmd = new Command("run", "Run the project's pipeline for a commit in a fresh workspace and wait (Ctrl+C cancels the run); exit 0 when it succeeded, 3 when not")
            { name, commit, eventName, json };
        Act(cmd, async pr =>
        {
            using var engine = Open(pr);
            WarnIfNotSandboxed(engine);
            PipelineRun run;
            using (Interrupt.Catch())
                run = await engine.RunPipelineAsync(pr.GetValue(name)!, pr.GetValue(commit), pr.GetValue(eventName)!, Interrupt.Token);
            if (pr.GetValue(json)) Output.WriteJson(run);
            else WritePipelineRun(run);
            return run.Status == PipelineRunStatus.Succeeded ? ExitCodes.Ok
                : run.Status == PipelineRunStatus.Cancelled ? ExitCodes.Cancelled
                : run.Status == PipelineRunStatus.Superseded ? ExitCodes.Skipped : ExitCodes.DeploymentFailed;
        });
        return cmd;
    }

    private static Command PipelineRuns()
    {
        var name = NameArgument();
        var limit = new Option<int>("--limit") { Description = "How many, newest first", HelpName = "N", DefaultValueFactory = _ => 20 };
        var json = JsonOption();
        var cmd = new Command("runs", "A project's finished pipeline runs with their steps, newest first") { name, limit, json };
        Act(cmd, pr =>
        {
            using var engine = Open(pr);
            var runs = engine.GetPipelineRuns(pr.GetValue(name)!, pr.GetValue(limit));
            if (pr.GetValue(json)) Output.WriteJson(runs);
            else Output.Table(new[] { "RUN", "COMMIT", "EVENT", "STATUS", "DURATION", "REASON" },
                runs.Select(r => (IReadOnlyList<string>)new[] { r.RunId, Output.Short(r.Commit), r.Event, r.Status.ToString(), Output.Span(r.Duration), r.Reason ?? "" }));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static void WritePipelineRun(PipelineRun run)
    {
        Output.Table(new[] { "#", "STEP", "STATUS", "EXIT", "DURATION", "REASON" },
            run.Steps.Select(s => (IReadOnlyList<string>)new[]
            {
                s.Index.ToString(), s.Name, s.Status.ToString(), s.ExitCode?.ToString() ?? "-", Output.Span(s.Duration), s.Reason ?? "",
            }));
        Console.Out.WriteLine($"{run.Project}: pipeline {run.Status} for {Output.Short(run.Commit)} in {Output.Span(run.Duration)}"
            + (run.Reason is null ? "" : $" ({Output.OneLine(run.Reason)})") + $"; logs in {run.LogDirectory}");
    }

    private static Command PipelineValidate()
    {
        var file = new Argument<string?>("FILE")
        {
            Description = "The pipeline file (default: ./.cicd/pipeline.json, else ./.simpleci/pipeline.json)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var json = JsonOption();
        var cmd = new Command("validate",
            "Check a pipeline file against the schema and compile its conditions and run templates; exit 0 when valid, 1 with one line per error")
            { file, json };
        Act(cmd, pr =>
        {
            var result = CicdEngine.ValidatePipeline(pr.GetValue(file), Environment.CurrentDirectory);
            if (pr.GetValue(json)) Output.WriteJson(result);
            else if (result.IsValid)
                Console.Out.WriteLine($"{result.Path}: valid ({result.StepCount} step{(result.StepCount == 1 ? "" : "s")})");
            else
                foreach (var error in result.Errors) Console.Error.WriteLine($"{result.Path}: {Output.OneLine(error)}");
            return result.IsValid ? ExitCodes.Ok : ExitCodes.Error;
        });
        return cmd;
    }
}
