using System.Diagnostics;
using System.Text.Json.Nodes;
using CicdOps.Engine.Pipelines;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Pipelines;

/// <summary>
/// `run` templates rendered and then run by a real bash exactly as a step runs them: hostile payload values must
/// reach the command as text and never execute.
/// </summary>
public sealed class TemplateTests : IDisposable
{
    private readonly TempDirectory _dir = new("cicdops-template");

    public void Dispose() => _dir.Dispose();

    private static RenderedCommand Render(string template, PipelineContext context, Dictionary<string, string>? env = null) =>
        CommandTemplate.Render(template, PipelineContext.EnvToJson(env ?? new()), context.ToJson());

    /// <summary>Runs the rendered command with bash the way the runner does (argv + environment, no shell string around it).</summary>
    private (int Code, string Out) RunBash(RenderedCommand command)
    {
        var psi = new ProcessStartInfo("/bin/bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _dir.Path };
        foreach (var a in command.BashArguments) psi.ArgumentList.Add(a);
        foreach (var (k, v) in command.Values) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    [Theory]
    [InlineData("\"; touch {0}; \"")]
    [InlineData("'; touch {0}; '")]
    [InlineData("$(touch {0})")]
    [InlineData("`touch {0}`")]
    [InlineData("x\ntouch {0}\n")]
    [InlineData("x; touch {0}")]
    [InlineData("x && touch {0} #")]
    [InlineData("${{IFS}}$(touch${{IFS}}{0})")]
    public void A_hostile_commit_message_runs_nothing(string messageFormat)
    {
        var pwned = _dir.Combine("pwned");
        var message = string.Format(messageFormat, pwned);
        var context = new PipelineContext { Message = message, Branch = message };
        // Every quoting context a pipeline author might put a value in.
        foreach (var template in new[]
        {
            "echo {{context.message}}",
            "echo \"{{context.message}}\"",
            "echo '{{context.message}}'",
            "echo \"msg: {{context.message}} on {{context.branch}}\" > out.txt",
            "printf '%s\\n' {{context.message}} >/dev/null",
            "echo `echo {{context.message}}`",
            "echo $(echo {{context.message}})",
            "cat <<EOF\n{{context.message}}\nEOF",
        })
        {
            var rendered = Render(template, context);
            Assert.DoesNotContain(pwned, rendered.Command);
            RunBash(rendered);
            Assert.False(File.Exists(pwned), $"'{message}' executed through template: {template}");
        }
    }

    [Fact]
    public void A_value_reaches_the_command_byte_for_byte()
    {
        var message = "it's \"quoted\" $(id) `id` ; * \\ done";
        var (code, output) = RunBash(Render("printf '%s' {{context.message}}", new PipelineContext { Message = message }));
        Assert.Equal(0, code);
        Assert.Equal(message, output);
    }

    [Theory]
    [InlineData("npm ci && npm test")]
    [InlineData("echo '$HOME' \"a\\b\" } }} {x} ${VAR:-d}")]
    [InlineData("printf '%s\\n' \"{\" \"}\"")]
    public void A_command_without_a_mustache_is_run_exactly_as_written(string command)
    {
        var rendered = Render(command, new PipelineContext { Message = "m" });
        Assert.Equal(command, rendered.Command);
        Assert.Empty(rendered.Values);
    }

    [Fact]
    public void SimpleCI_style_path_template()
    {
        var rendered = Render("node scripts/{{context.event}}.js", new PipelineContext { Event = "push" });
        Assert.Equal("node scripts/\"${CICD_VALUE_1}\".js", rendered.Command);
        Assert.Equal("push", rendered.Values["CICD_VALUE_1"]);
        var (_, output) = RunBash(Render("echo scripts/{{context.event}}.js", new PipelineContext { Event = "push" }));
        Assert.Equal("scripts/push.js\n", output);
    }

    [Fact]
    public void The_same_value_twice_is_one_variable()
    {
        var rendered = Render("echo {{context.branch}} {{context.branch}} {{env.A}}", new PipelineContext { Branch = "main" }, new() { ["A"] = "a" });
        Assert.Equal(2, rendered.Values.Count);
    }

    [Fact]
    public void An_unknown_variable_is_an_error()
    {
        var e = Assert.Throws<TemplateException>(() => Render("echo {{env.NOT_SET}}", new PipelineContext()));
        Assert.Contains("unknown variable", e.Message);
        Assert.Contains("NOT_SET", e.Message);
        Assert.Throws<TemplateException>(() => Render("echo {{context.nope}}", new PipelineContext()));
        // Not a pull request: its fields do not exist.
        Assert.Throws<TemplateException>(() => Render("echo {{context.pullRequest.number}}", new PipelineContext()));
        Assert.Equal("7", Render("{{context.pullRequest.number}}", new PipelineContext { PullRequest = new(7, "a", "b") }).Values["CICD_VALUE_1"]);
    }

    [Fact]
    public void Raw_output_is_refused()
    {
        Assert.Throws<TemplateException>(() => Render("echo {{{context.message}}}", new PipelineContext()));
        Assert.Throws<TemplateException>(() => Render("echo {{&context.message}}", new PipelineContext()));
        Assert.Throws<TemplateException>(() => Render("echo {{~{context.message}~}}", new PipelineContext()));
    }

    [Fact]
    public void Helpers_print_through_the_same_encoder()
    {
        var pwned = _dir.Combine("pwned-helper");
        var context = new PipelineContext { Message = $"$(touch {pwned})" };
        foreach (var template in new[] { "echo {{lookup context 'message'}}", "{{#with context}}echo {{message}}{{/with}}", "{{#if context.message}}echo {{context.message}}{{/if}}" })
        {
            RunBash(Render(template, context));
            Assert.False(File.Exists(pwned), template);
        }
    }
}
