using System.CommandLine;
using CicdOps.Engine;

namespace CicdOps.Cli;

/// <summary>`pipeline validate [FILE]`: a pipeline file checked locally (schema, conditions, templates); no data directory needed.</summary>
internal static partial class Commands
{
    private static Command Pipeline()
    {
        var pipeline = new Command("pipeline", "Work with pipeline files (.cicd/pipeline.json, or SimpleCI's .simpleci/pipeline.json)");
        pipeline.Add(PipelineValidate());
        return pipeline;
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
