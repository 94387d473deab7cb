using System.Text.Json;
using Json.Schema;

namespace CicdOps.Engine.Pipelines;

/// <summary>
/// docs/pipeline.schema.json, embedded in the engine (never read from a checkout at run time), and its errors as
/// <see cref="PipelineProblem"/>s that name the instance path.
/// </summary>
internal static class PipelineSchema
{
    private const string ResourceName = "CicdOps.Engine.Pipelines.pipeline.schema.json";

    public static string Text { get; } = ReadResource();

    // Built once: building registers the schema's $id, and a second registration of the same id would throw.
    private static readonly Lazy<JsonSchema> Schema = new(() => JsonSchema.FromText(Text));

    public static IReadOnlyList<PipelineProblem> Validate(JsonElement document)
    {
        var results = Schema.Value.Evaluate(document, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (results.IsValid) return Array.Empty<PipelineProblem>();
        var problems = new List<PipelineProblem>();
        foreach (var detail in results.Details ?? new List<EvaluationResults>())
        {
            if (detail.Errors is null) continue;
            var evaluationPath = detail.EvaluationPath.ToString();
            // An `if` that does not match is how the schema picks then/else, not a mistake in the file.
            if (evaluationPath.Contains("/if", StringComparison.Ordinal)) continue;
            var pointer = detail.InstanceLocation.ToString();
            foreach (var (keyword, message) in detail.Errors.Select(e => (e.Key, e.Value)))
                problems.Add(new PipelineProblem(pointer, Explain(evaluationPath, message, pointer)));
        }
        // "if/then/else" and "oneOf" repeat a nested error at the parent; keep each message once, deepest first.
        return problems.Distinct().OrderBy(p => p.Pointer, StringComparer.Ordinal).ToList();
    }

    /// <summary>The library's wording, made specific where it is vague (a property name the schema does not allow).</summary>
    private static string Explain(string evaluationPath, string message, string pointer)
    {
        var propertyName = evaluationPath.Contains("/propertyNames", StringComparison.Ordinal)
            || message.Contains("false schema", StringComparison.Ordinal);
        if (!propertyName)
            return message;
        var name = LastSegment(pointer);
        return evaluationPath.Contains("/env/", StringComparison.Ordinal)
            ? $"'{name}' is not a variable name (letters, digits and underscores, not starting with a digit)"
            : $"unknown property '{name}'";
    }

    private static string LastSegment(string pointer)
    {
        var i = pointer.LastIndexOf('/');
        return (i < 0 ? pointer : pointer[(i + 1)..]).Replace("~1", "/").Replace("~0", "~");
    }

    private static string ReadResource()
    {
        using var stream = typeof(PipelineSchema).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"the engine was built without its embedded {ResourceName}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
