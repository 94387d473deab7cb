using System.Text.Json.Nodes;
using CicdOps.Engine.Pipelines;

namespace CicdOps.Tests.Pipelines;

/// <summary>Conditions evaluated by Jint with data-only `env`/`context` and limits: each limit breached for real.</summary>
public sealed class ConditionTests
{
    private static readonly PipelineContext Push = new() { Event = "push", Branch = "main", Message = "fix: things", Project = "shop" };
    private static readonly PipelineContext PullRequest = Push with { Event = "pull_request", PullRequest = new PullRequestContext(7, "feature/x", "main") };

    private static bool Eval(string condition, PipelineContext? context = null, Dictionary<string, string>? env = null, ConditionLimits? limits = null) =>
        ConditionEvaluator.Evaluate("Test step", condition, PipelineContext.EnvToJson(env ?? new()), (context ?? Push).ToJson(), limits);

    private static ConditionException Fails(string condition, ConditionLimits? limits = null)
    {
        var e = Assert.Throws<ConditionException>(() => Eval(condition, limits: limits));
        Assert.Equal("Test step", e.StepName);
        Assert.Contains("'Test step'", e.Message);
        return e;
    }

    [Fact]
    public void SimpleCI_conditions_true_and_false()
    {
        var env = new Dictionary<string, string> { ["ENABLE_TESTS"] = "true" };
        Assert.True(Eval("context.event == 'push'"));
        Assert.True(Eval("context.event == 'push' && env.ENABLE_TESTS == 'true'", env: env));
        Assert.False(Eval("context.event == 'push' && env.ENABLE_TESTS == 'true'"));
        Assert.False(Eval("context.event == 'pull_request'"));
        Assert.True(Eval("context.branchName == 'main'"));
    }

    [Fact]
    public void Truthiness_is_javascripts()
    {
        Assert.False(Eval("''"));
        Assert.False(Eval("0"));
        Assert.False(Eval("env.MISSING"));
        Assert.True(Eval("'false'"));
        Assert.True(Eval("context.message.startsWith('fix')"));
    }

    [Fact]
    public void Pull_request_fields_are_in_the_context()
    {
        Assert.True(Eval("context.pullRequest.number === 7 && context.pullRequest.sourceBranch == 'feature/x' && context.pullRequest.targetBranch == 'main'", PullRequest));
        Assert.True(Eval("context.pullRequest === null"));
    }

    [Fact]
    public void Context_holds_every_documented_field()
    {
        foreach (var field in new[] { "event", "provider", "repository", "branch", "ref", "commit", "before", "author", "message", "deliveryId", "project", "runId", "pullRequest" })
            Assert.True(Eval($"'{field}' in context"), field);
    }

    [Fact]
    public void A_condition_that_throws_names_the_step_and_the_error()
    {
        var e = Fails("context.nosuch.deeper == 1");
        Assert.Contains("TypeError", e.Reason);
        Assert.Contains("boom", Fails("(() => { throw new Error('boom') })()").Reason);
    }

    [Fact]
    public void Looping_forever_stops_at_the_time_limit()
    {
        // Statements and memory set out of reach, so only the clock can stop it.
        var limits = new ConditionLimits { MaxStatements = int.MaxValue, MaxMemoryBytes = long.MaxValue };
        Assert.Contains("ran longer than 250 ms", Fails("(() => { while (true) {} })()", limits).Reason);
    }

    [Fact]
    public void Statement_limit()
    {
        var limits = new ConditionLimits { Timeout = TimeSpan.FromMinutes(5), MaxStatements = 1000 };
        Assert.Contains("more than 1000 statements", Fails("(() => { let i = 0; while (true) { i++; } })()", limits).Reason);
    }

    [Fact]
    public void Deep_recursion_is_stopped()
    {
        Assert.Contains("recursed deeper than 64", Fails("(function f(n) { return f(n + 1); })(0)").Reason);
    }

    [Fact]
    public void Memory_limit()
    {
        var limits = new ConditionLimits { Timeout = TimeSpan.FromMinutes(5), MaxStatements = int.MaxValue };
        Assert.Contains("used more than 32 MB", Fails("(() => { const a = []; while (true) { a.push(new Array(10000).fill('x')); } })()", limits).Reason);
    }

    [Theory]
    [InlineData("System.IO.File.Exists('/etc/passwd')")]
    [InlineData("importNamespace('System.IO')")]
    [InlineData("clrHelper.getType('System.IO.File')")]
    [InlineData("env.GetType().Assembly")]
    [InlineData("context.constructor.constructor('return this')().System")]
    [InlineData("Function('return 1')()")]
    [InlineData("eval('1')")]
    [InlineData("require('fs')")]
    [InlineData("process.exit(1)")]
    public void No_clr_or_host_access(string condition)
    {
        // Each of these either throws (no such thing) or evaluates to nothing usable; none reaches .NET.
        try { Assert.False(Eval(condition)); }
        catch (ConditionException) { }
    }

    [Fact]
    public void Env_and_context_are_plain_javascript_data()
    {
        Assert.True(Eval("Object.getPrototypeOf(context) === Object.prototype && Object.getPrototypeOf(env) === Object.prototype"));
        Assert.True(Eval("typeof context.message === 'string' && JSON.stringify(env) === '{\"A\":\"1\"}'", env: new() { ["A"] = "1" }));
    }

    [Fact]
    public void A_payload_value_is_data_not_code()
    {
        var hostile = Push with { Message = "'); throw new Error('injected'); ('" };
        Assert.True(Eval("context.message.includes('injected')", hostile));
    }
}
