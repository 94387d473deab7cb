using System.Text.Json;
using CicdOps.Tests.Cli;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Pipelines;

/// <summary>`cicdops pipeline validate [FILE]`, run as a real process in a repository-like directory.</summary>
public sealed class PipelineValidateCliTests : IDisposable
{
    private readonly TempDirectory _dir = new("cicdops-validate");

    public void Dispose() => _dir.Dispose();

    private (int Code, string Out, string Err) Validate(params string[] args)
    {
        var env = new Dictionary<string, string?> { ["CICDOPS_HOME"] = null, ["DOTNET_NOLOGO"] = "1", ["CICDOPS_ERROR_FORMAT"] = null };
        return Run.TryWithEnv("dotnet", _dir.Path, env, new[] { CliHarness.CliDll, "pipeline", "validate" }.Concat(args).ToArray());
    }

    private string Write(string relative, string json)
    {
        var path = _dir.Combine(relative.Split('/'));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void Default_file_is_cicd_then_simpleci()
    {
        var simple = Write(".simpleci/pipeline.json", """{"steps": [{"name": "a", "run": "true"}, {"name": "b", "run": ["true"]}]}""");
        var (code, stdout, stderr) = Validate();
        Assert.Equal(0, code);
        Assert.Equal($"{simple}: valid (2 steps)\n", stdout);
        Assert.Equal("", stderr);

        var own = Write(".cicd/pipeline.json", """{"steps": [{"name": "a", "run": "true"}]}""");
        (code, stdout, _) = Validate();
        Assert.Equal(0, code);
        Assert.Equal($"{own}: valid (1 step)\n", stdout);
    }

    [Fact]
    public void Invalid_file_exits_1_with_one_line_per_error()
    {
        var file = Write("bad.json", """{"steps": [{"name": "a", "contition": "x", "run": "true"}, {"name": "b", "run": 3}]}""");
        var (code, stdout, stderr) = Validate("bad.json");
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        var lines = stderr.TrimEnd('\n').Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.Equal($"{file}: /steps/0/contition: unknown property 'contition'", lines[0]);
        Assert.StartsWith($"{file}: /steps/1/run: ", lines[1]);
    }

    [Fact]
    public void Json_output()
    {
        Write("p.json", """{"steps": [{"name": "a", "condition": "context.event ===", "run": "true"}]}""");
        var (code, stdout, _) = Validate("p.json", "--json");
        Assert.Equal(1, code);
        using var doc = JsonDocument.Parse(stdout);
        Assert.False(doc.RootElement.GetProperty("isValid").GetBoolean());
        Assert.StartsWith("/steps/0/condition: not a JavaScript expression", doc.RootElement.GetProperty("errors")[0].GetString());
    }

    [Fact]
    public void No_file_is_one_error_line()
    {
        var (code, stdout, stderr) = Validate();
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.Contains("neither .cicd/pipeline.json nor .simpleci/pipeline.json", stderr);

        (code, _, stderr) = Validate("missing.json");
        Assert.Equal(1, code);
        Assert.Contains("does not exist", stderr);
    }
}
