using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Acornima;
using Jint;
using Jint.Native;
using Jint.Native.Json;
using Jint.Runtime;

namespace CicdOps.Engine.Pipelines;

/// <summary>
/// Evaluates SimpleCI-style conditions (`context.event == 'push' &amp;&amp; env.ENABLE_TESTS == 'true'`) with Jint.
/// Each evaluation gets a fresh engine: no CLR access (Jint's default; nothing CLR is ever set), `env` and `context`
/// parsed from JSON text into plain JS objects, and the limits of <see cref="ConditionLimits"/>. Truthiness is
/// JavaScript's, as in SimpleCI.
/// </summary>
public static class ConditionEvaluator
{
    /// <summary>
    /// Null when the text is one JavaScript expression, else the syntax error. Only an expression is accepted, so a
    /// condition cannot smuggle statements past the `(...)` it is evaluated in.
    /// </summary>
    public static string? SyntaxError(string condition)
    {
        try
        {
            new Parser().ParseExpression(condition);
            return null;
        }
        catch (ParseErrorException e)
        {
            return "not a JavaScript expression: " + OneLine(e.Message);
        }
    }

    public static bool Evaluate(string stepName, string condition, JsonObject env, JsonObject context, ConditionLimits? limits = null)
    {
        limits ??= ConditionLimits.Default;
        if (SyntaxError(condition) is { } syntax) throw new ConditionException(stepName, syntax);
        var engine = new Jint.Engine(o => o
            .Strict()
            .TimeoutInterval(limits.Timeout)
            .MaxStatements(limits.MaxStatements)
            .LimitMemory(limits.MaxMemoryBytes)
            .LimitRecursion(limits.MaxRecursionDepth)
            .DisableStringCompilation()
            .RegexTimeoutInterval(limits.Timeout));
        try
        {
            var parser = new JsonParser(engine);
            engine.SetValue("env", parser.Parse(PipelineContext.Serialize(env)));
            engine.SetValue("context", parser.Parse(PipelineContext.Serialize(context)));
            var value = engine.Evaluate("(" + condition + "\n)");
            return TypeConverter.ToBoolean(value);
        }
        catch (JavaScriptException e) { throw new ConditionException(stepName, "threw " + OneLine(e.Error.ToString()), e); }
        catch (RegexMatchTimeoutException e) { throw new ConditionException(stepName, $"a regular expression ran longer than {limits.Timeout.TotalMilliseconds:0} ms", e); }
        catch (TimeoutException e) { throw new ConditionException(stepName, $"ran longer than {limits.Timeout.TotalMilliseconds:0} ms", e); }
        catch (StatementsCountOverflowException e) { throw new ConditionException(stepName, $"ran more than {limits.MaxStatements} statements", e); }
        catch (MemoryLimitExceededException e) { throw new ConditionException(stepName, $"used more than {limits.MaxMemoryBytes / (1024 * 1024)} MB", e); }
        catch (RecursionDepthOverflowException e) { throw new ConditionException(stepName, $"recursed deeper than {limits.MaxRecursionDepth} calls", e); }
        catch (ExecutionCanceledException e) { throw new ConditionException(stepName, "cancelled", e); }
        catch (JintException e) { throw new ConditionException(stepName, OneLine(e.Message), e); }
    }

    private static string OneLine(string s) => string.Join(' ', s.Split('\n', '\r').Where(l => l.Length > 0)).Trim();
}
