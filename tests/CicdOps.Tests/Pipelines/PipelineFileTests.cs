using CicdOps.Engine.Pipelines;
using CicdOps.Tests.Module;

namespace CicdOps.Tests.Pipelines;

/// <summary>Reading pipeline files: SimpleCI's files as they are, CicdOps' extensions, and an error with a JSON pointer path for each kind of mistake.</summary>
public sealed class PipelineFileTests
{
    private static string Data(string name) => File.ReadAllText(Path.Combine(ModulePaths.RepositoryRoot, "tests", "CicdOps.Tests", "Pipelines", "Data", name));

    private static string[] Errors(string json)
    {
        var result = PipelineReader.Read(json);
        Assert.False(result.IsValid);
        Assert.Null(result.Definition);
        return result.Problems.Select(p => p.ToString()).ToArray();
    }

    private static void HasError(string json, string pointer, string containing)
    {
        var errors = Errors(json);
        Assert.True(errors.Any(e => e.StartsWith(pointer + ": ", StringComparison.Ordinal) && e.Contains(containing, StringComparison.OrdinalIgnoreCase)),
            $"expected an error at {pointer} containing '{containing}'; got:\n" + string.Join("\n", errors));
    }

    [Theory]
    [InlineData("simpleci-blog.json")]
    [InlineData("simpleci-schema-example.json")]
    public void SimpleCI_example_files_are_valid(string file)
    {
        var result = PipelineReader.Read(Data(file));
        Assert.True(result.IsValid, string.Join("\n", result.Problems));
        var steps = result.Definition!.Steps;
        Assert.Equal(2, steps.Count);
        Assert.Equal(new[] { "echo \"Starting installation\"", "npm install" }, steps[0].Run);
        Assert.Single(steps[1].Run);
        Assert.Equal("context.event == 'push'", steps[0].Condition);
        Assert.Equal(new[] { "push" }, result.Definition.Events);
    }

    [Fact]
    public void Every_extension_parses_into_typed_records()
    {
        var result = PipelineReader.Read(Data("cicdops-full.json"));
        Assert.True(result.IsValid, string.Join("\n", result.Problems));
        var p = result.Definition!;
        Assert.Equal("medium", p.Tier);
        Assert.Equal(300, p.TimeoutSeconds);
        Assert.Equal(new[] { "push", "pull_request" }, p.Events);
        Assert.Equal("test", p.Env["NODE_ENV"]);
        Assert.Equal(PipelineStepType.CacheFiles, p.Steps[0].Type);
        Assert.Equal("npm-{{context.branch}}", p.Steps[0].Key);
        Assert.Equal(new[] { "node_modules/**" }, p.Steps[0].FileNames);
        Assert.Equal("604800", p.Steps[0].Expiry);
        Assert.Equal(120, p.Steps[1].TimeoutSeconds);
        Assert.Equal("true", p.Steps[1].Env["CI"]);
        Assert.True(p.Steps[2].ContinueOnError);
        Assert.False(p.Steps[1].ContinueOnError);
        Assert.Equal(PipelineStepType.StoreFiles, p.Steps[4].Type);
        Assert.Equal("dist", p.Steps[4].DownloadPath);
        Assert.Equal("2030-01-01T00:00:00Z", p.Steps[4].Expiry);
    }

    [Fact]
    public void Not_json_is_one_error_at_the_root_with_its_line()
    {
        var errors = Errors("{\n  \"steps\": [\n    { \"name\": \"a\", \"run\": \"x\", }\n  ]\n}");
        var e = Assert.Single(errors);
        Assert.StartsWith("/: not valid JSON at line 3", e);
    }

    [Fact] public void Missing_steps() => HasError("""{}""", "/", "steps");
    [Fact] public void Empty_steps() => HasError("""{"steps": []}""", "/steps", "");
    [Fact] public void Steps_not_an_array() => HasError("""{"steps": {"name": "a"}}""", "/steps", "array");
    [Fact] public void Step_without_a_name() => HasError("""{"steps": [{"run": "make"}]}""", "/steps/0", "name");
    [Fact] public void Step_without_run() => HasError("""{"steps": [{"name": "a"}, {"name": "b"}]}""", "/steps/1", "run");
    [Fact] public void Run_of_the_wrong_type() => HasError("""{"steps": [{"name": "a", "run": 42}]}""", "/steps/0/run", "");
    [Fact] public void Run_list_with_a_number() => HasError("""{"steps": [{"name": "a", "run": ["make", 7]}]}""", "/steps/0/run/1", "string");
    [Fact] public void Empty_run_command() => HasError("""{"steps": [{"name": "a", "run": ""}]}""", "/steps/0/run", "");
    [Fact] public void Condition_not_a_string() => HasError("""{"steps": [{"name": "a", "condition": true, "run": "x"}]}""", "/steps/0/condition", "string");
    [Fact] public void Misspelt_step_property() => HasError("""{"steps": [{"name": "a", "contition": "true", "run": "x"}]}""", "/steps/0/contition", "unknown property 'contition'");
    [Fact] public void Unknown_top_level_property() => HasError("""{"stages": [], "steps": [{"name": "a", "run": "x"}]}""", "/stages", "unknown property 'stages'");
    [Fact] public void Tier_not_a_tier_name() => HasError("""{"tier": "Huge tier!", "steps": [{"name": "a", "run": "x"}]}""", "/tier", "");

    [Fact]
    public void A_schema_branch_not_taken_is_not_reported()
    {
        // The step is a plain command step; the cache-files branch's `if` failing to match is no error of the file.
        var errors = Errors("""{"steps": [{"name": "a", "run": "make", "contition": "x"}]}""");
        Assert.DoesNotContain(errors, e => e.Contains("\"type\""));
        Assert.Equal("/steps/0/contition: unknown property 'contition'", Assert.Single(errors));
    }
    [Fact] public void Timeout_not_positive() => HasError("""{"steps": [{"name": "a", "run": "x", "timeout": 0}]}""", "/steps/0/timeout", "");
    [Fact] public void Timeout_not_an_integer() => HasError("""{"timeout": "60", "steps": [{"name": "a", "run": "x"}]}""", "/timeout", "integer");
    [Fact] public void Env_name_not_a_variable_name() => HasError("""{"steps": [{"name": "a", "run": "x", "env": {"A-B": "1"}}]}""", "/steps/0/env/A-B", "'A-B' is not a variable name");
    [Fact] public void Env_name_reserved_for_the_engine_or_loader() => HasError("""{"steps": [{"name": "a", "run": "x", "env": {"LD_PRELOAD": "./evil.so"}}]}""", "/steps/0/env/LD_PRELOAD", "reserved");
    [Fact] public void Pipeline_env_cannot_set_PATH() => HasError("""{"env": {"PATH": "/tmp"}, "steps": [{"name": "a", "run": "x"}]}""", "/env/PATH", "reserved");
    [Fact] public void Env_value_not_a_string() => HasError("""{"env": {"A": 1}, "steps": [{"name": "a", "run": "x"}]}""", "/env/A", "string");
    [Fact] public void ContinueOnError_not_a_boolean() => HasError("""{"steps": [{"name": "a", "run": "x", "continueOnError": "yes"}]}""", "/steps/0/continueOnError", "boolean");
    [Fact] public void Unknown_event() => HasError("""{"events": ["push", "release"], "steps": [{"name": "a", "run": "x"}]}""", "/events/1", "");
    [Fact] public void Unknown_step_type() => HasError("""{"steps": [{"name": "a", "type": "docker", "run": "x"}]}""", "/steps/0/type", "");
    [Fact] public void Cache_step_without_key_or_files() => HasError("""{"steps": [{"name": "a", "type": "cache-files"}]}""", "/steps/0", "key");
    [Fact] public void Cache_step_with_run() => HasError("""{"steps": [{"name": "a", "type": "cache-files", "key": "k", "fileNames": ["x"], "run": "make"}]}""", "/steps/0/run", "unknown property 'run'");
    [Fact] public void Run_step_with_cache_fields() => HasError("""{"steps": [{"name": "a", "run": "make", "fileNames": ["x"]}]}""", "/steps/0/fileNames", "unknown property 'fileNames'");
    [Fact] public void Expiry_of_the_wrong_type() => HasError("""{"steps": [{"name": "a", "type": "store-files", "key": "k", "fileNames": ["x"], "expiry": true}]}""", "/steps/0/expiry", "");

    [Fact]
    public void Condition_syntax_error_is_a_validation_error_at_its_step()
    {
        HasError("""{"steps": [{"name": "a", "run": "x"}, {"name": "b", "condition": "context.event == ", "run": "x"}]}""", "/steps/1/condition", "not a JavaScript expression");
    }

    [Fact]
    public void Condition_with_statements_after_the_expression_is_refused()
    {
        HasError("""{"steps": [{"name": "a", "condition": "true); while (true) {}; (true", "run": "x"}]}""", "/steps/0/condition", "not a JavaScript expression");
    }

    [Fact]
    public void Template_errors_name_the_command()
    {
        HasError("""{"steps": [{"name": "a", "run": ["make", "echo {{context.nosuch}}"]}]}""", "/steps/0/run/1", "unknown variable");
        HasError("""{"steps": [{"name": "a", "run": "echo {{context.event"}]}""", "/steps/0/run", "invalid template");
        HasError("""{"steps": [{"name": "a", "run": "echo {{{context.message}}}"}]}""", "/steps/0/run", "unquoted");
        HasError("""{"steps": [{"name": "a", "run": "echo {{& context.message}}"}]}""", "/steps/0/run", "unquoted");
        HasError("""{"steps": [{"name": "a", "type": "cache-files", "key": "k-{{context.nope}}", "fileNames": ["x"]}]}""", "/steps/0/key", "unknown variable");
    }

    [Fact]
    public void Env_names_in_templates_are_left_to_run_time()
    {
        var result = PipelineReader.Read("""{"steps": [{"name": "a", "run": "echo {{env.FROM_A_SECRET}}"}]}""");
        Assert.True(result.IsValid, string.Join("\n", result.Problems));
    }

    [Fact]
    public void Every_error_is_reported_not_only_the_first()
    {
        var errors = Errors("""{"steps": [{"name": "a"}, {"run": "x"}, {"name": "c", "run": 1}]}""");
        Assert.Contains(errors, e => e.StartsWith("/steps/0: "));
        Assert.Contains(errors, e => e.StartsWith("/steps/1: "));
        Assert.Contains(errors, e => e.StartsWith("/steps/2/run: "));
    }

    [Fact]
    public void The_schema_ships_inside_the_engine_and_matches_docs()
    {
        var docs = Path.Combine(ModulePaths.RepositoryRoot, "docs", "pipeline.schema.json");
        Assert.Equal(File.ReadAllText(docs), PipelineSchema.Text);
    }
}
