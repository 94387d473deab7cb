using System.Text.Json;

namespace CicdOps.Engine.Pipelines;

/// <summary>The outcome of reading a pipeline file: the definition when it is valid, else every problem found.</summary>
public sealed record PipelineReadResult(PipelineDefinition? Definition, IReadOnlyList<PipelineProblem> Problems)
{
    public bool IsValid => Definition is not null;
}

/// <summary>
/// Reads pipeline JSON in three passes, each only after the one before succeeded: JSON syntax, the schema (with
/// paths), then conditions and `run` templates compiled (syntax errors at their step's path). Typed records are
/// built only from a document the schema accepted, so the record code needs no checks of its own.
/// </summary>
public static class PipelineReader
{
    /// <summary>Pipeline files are small; a larger one is a mistake, not a pipeline.</summary>
    public const int MaxBytes = 1024 * 1024;

    public static PipelineReadResult Read(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $" at line {line + 1}, column {e.BytePositionInLine + 1}" : "";
            return Invalid(new PipelineProblem("", $"not valid JSON{where}"));
        }
        using (document)
        {
            var schemaProblems = PipelineSchema.Validate(document.RootElement);
            if (schemaProblems.Count > 0) return new PipelineReadResult(null, schemaProblems);
            var definition = ToDefinition(document.RootElement);
            var problems = Compile(definition);
            return problems.Count > 0 ? new PipelineReadResult(null, problems) : new PipelineReadResult(definition, problems);
        }
    }

    private static PipelineReadResult Invalid(PipelineProblem problem) => new(null, new[] { problem });

    private static List<PipelineProblem> Compile(PipelineDefinition definition)
    {
        var problems = new List<PipelineProblem>();
        CheckEnv(definition.Env, "", problems);
        foreach (var step in definition.Steps)
        {
            CheckEnv(step.Env, step.Pointer, problems);
            if (step.Condition is { } condition && ConditionEvaluator.SyntaxError(condition) is { } syntax)
                problems.Add(new PipelineProblem(step.Pointer + "/condition", syntax));
            for (var i = 0; i < step.Run.Count; i++)
            {
                if (CommandTemplate.Problem(step.Run[i]) is not { } problem) continue;
                // SimpleCI's single-string form has no index in its path.
                problems.Add(new PipelineProblem(step.Pointer + "/run" + (step.RunIsList ? "/" + i : ""), problem));
            }
            if (step.Key is { } key && CommandTemplate.Problem(key) is { } keyProblem)
                problems.Add(new PipelineProblem(step.Pointer + "/key", keyProblem));
            CheckFileStep(step, problems);
        }
        return problems;
    }

    /// <summary>
    /// `fileNames` and `downloadPath` name places inside the workspace: relative, without a `..` part (a link the
    /// pipeline makes could still point out; the files are moved by the project's account, see WorkspaceArchive).
    /// `expiry` as text must be an ISO 8601 time (the schema's "format" is only an annotation).
    /// </summary>
    private static void CheckFileStep(PipelineStep step, List<PipelineProblem> problems)
    {
        for (var i = 0; i < step.FileNames.Count; i++)
            if (WorkspacePathProblem(step.FileNames[i]) is { } p) problems.Add(new PipelineProblem($"{step.Pointer}/fileNames/{i}", p));
        if (step.DownloadPath is { } d && WorkspacePathProblem(d) is { } dp) problems.Add(new PipelineProblem(step.Pointer + "/downloadPath", dp));
        if (step.Expiry is { } e && !PipelineFileStore.TryExpiresAt(e, DateTimeOffset.UtcNow, TimeSpan.Zero, out _))
            problems.Add(new PipelineProblem(step.Pointer + "/expiry", $"'{e}' is neither a number of seconds nor an ISO 8601 time (2026-12-31T00:00:00Z)"));
    }

    private static string? WorkspacePathProblem(string path) =>
        path.StartsWith('/') ? $"'{path}' is absolute; paths are relative to the workspace"
        : path.Split('/').Contains("..") ? $"'{path}' has a '..' part; paths stay inside the workspace"
        : path.Contains('\0') ? "a path cannot contain a NUL character"
        : null;

    /// <summary>
    /// Names the engine or the program loader owns (PATH, HOME, LD_*, CICD_*, BASH_ENV, ...) cannot be set: the
    /// environment also reaches the privilege-dropping helper, which runs as root.
    /// </summary>
    private static void CheckEnv(IReadOnlyDictionary<string, string> env, string pointer, List<PipelineProblem> problems)
    {
        foreach (var name in env.Keys.Where(Secrets.SecretName.IsReserved))
            problems.Add(new PipelineProblem($"{pointer}/env/{name}", $"'{name}' is reserved (the engine or the program loader sets it)"));
        foreach (var (name, value) in env.Where(p => p.Value.Contains('\0')))
            problems.Add(new PipelineProblem($"{pointer}/env/{name}", "a value cannot contain a NUL character"));
    }

    private static PipelineDefinition ToDefinition(JsonElement root)
    {
        var steps = root.GetProperty("steps").EnumerateArray().Select(ToStep).ToList();
        return new PipelineDefinition(
            steps,
            OptionalString(root, "tier"),
            OptionalInt(root, "timeout"),
            Env(root),
            root.TryGetProperty("events", out var events) ? Strings(events) : new[] { "push" });
    }

    private static PipelineStep ToStep(JsonElement step, int index)
    {
        var type = OptionalString(step, "type") switch
        {
            "cache-files" => PipelineStepType.CacheFiles,
            "store-files" => PipelineStepType.StoreFiles,
            _ => PipelineStepType.Run,
        };
        var run = Array.Empty<string>() as IReadOnlyList<string>;
        var runIsList = false;
        if (step.TryGetProperty("run", out var r))
        {
            runIsList = r.ValueKind == JsonValueKind.Array;
            run = runIsList ? Strings(r) : new[] { r.GetString()! };
        }
        return new PipelineStep(
            index,
            step.GetProperty("name").GetString()!,
            OptionalString(step, "condition"),
            type,
            run,
            OptionalInt(step, "timeout"),
            Env(step),
            step.TryGetProperty("continueOnError", out var c) && c.GetBoolean(),
            OptionalString(step, "key"),
            step.TryGetProperty("fileNames", out var f) ? Strings(f) : Array.Empty<string>(),
            step.TryGetProperty("expiry", out var e) ? (e.ValueKind == JsonValueKind.Number ? e.GetRawText() : e.GetString()) : null,
            OptionalString(step, "downloadPath"))
        { RunIsList = runIsList };
    }

    private static string? OptionalString(JsonElement o, string name) => o.TryGetProperty(name, out var v) ? v.GetString() : null;
    private static int? OptionalInt(JsonElement o, string name) => o.TryGetProperty(name, out var v) ? v.GetInt32() : null;
    private static string[] Strings(JsonElement array) => array.EnumerateArray().Select(x => x.GetString()!).ToArray();

    private static IReadOnlyDictionary<string, string> Env(JsonElement o) =>
        o.TryGetProperty("env", out var env)
            ? env.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal)
            : new Dictionary<string, string>(StringComparer.Ordinal);
}
