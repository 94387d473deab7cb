using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using HandlebarsDotNet;

namespace CicdOps.Engine.Pipelines;

/// <summary>
/// Handlebars templates in `run` (`node scripts/{{context.event}}.js`), rendered so that no interpolated value can
/// become shell syntax (see <see cref="RenderedCommand"/>): values become environment variable references, the
/// forms that would print a value raw (`{{{x}}}`, `{{&amp;x}}`) are refused, and an unknown variable is an error.
/// </summary>
public static partial class CommandTemplate
{
    /// <summary>`{{{`, `{{~{`, `{{&amp;` and `{{~&amp;`: Handlebars' unescaped output, which would bypass the encoder.</summary>
    [GeneratedRegex(@"\{\{~?\s*[{&]")]
    private static partial Regex RawOutput();

    /// <summary>
    /// What is wrong with a template before any run: syntax, raw output, and `context` fields that do not exist.
    /// `env` names are not checked here (secrets are known only at run time); rendering checks them.
    /// </summary>
    public static string? Problem(string template)
    {
        try
        {
            Render(template, AnyName.Instance, ToData(PipelineContext.Sample.ToJson()));
            return null;
        }
        catch (TemplateException e) { return e.Message; }
    }

    /// <summary>Renders for a run; throws <see cref="TemplateException"/> for anything <see cref="Problem"/> reports and for unknown `env` names.</summary>
    public static RenderedCommand Render(string template, JsonObject env, JsonObject context) =>
        Render(template, ToData(env), ToData(context));

    /// <summary>
    /// A template rendered to plain text (a cache or artifact `key`): the same checks as <see cref="Render(string, JsonObject, JsonObject)"/>,
    /// each value then put in place of its reference. The text is only ever a name (hashed into a file name), never a
    /// command or a path.
    /// </summary>
    public static string RenderText(string template, JsonObject env, JsonObject context)
    {
        var rendered = Render(template, env, context);
        // One pass, so a value that itself looks like a reference stays as it is.
        return References().Replace(rendered.Command, m => rendered.Values.TryGetValue(m.Groups[1].Value, out var v) ? v : m.Value);
    }

    [GeneratedRegex("\"\\$\\{(" + ValueReferenceEncoder.Prefix + "[0-9]+)\\}\"")]
    private static partial Regex References();

    private static RenderedCommand Render(string template, object env, object context)
    {
        if (RawOutput().IsMatch(template))
            throw new TemplateException("'{{{' and '{{&' print a value unquoted; use '{{...}}' (values are passed to the command as environment variables)");
        // Without a mustache Handlebars has nothing to do (it would return the text as it is): most commands have none,
        // and building a Handlebars environment per command was most of a step's rendering cost.
        if (!template.Contains("{{", StringComparison.Ordinal)) return new RenderedCommand(template, new Dictionary<string, string>());
        var encoder = new ValueReferenceEncoder();
        var handlebars = Handlebars.Create(new HandlebarsConfiguration
        {
            TextEncoder = encoder,
            ThrowOnUnresolvedBindingExpression = true,
        });
        string output;
        try
        {
            var compiled = handlebars.Compile(template);
            output = compiled(new Dictionary<string, object> { ["env"] = env, ["context"] = context });
        }
        catch (HandlebarsDotNet.Compiler.HandlebarsUndefinedBindingException e) { throw new TemplateException($"unknown variable '{e.Path}'"); }
        catch (HandlebarsException e) { throw new TemplateException("invalid template: " + OneLine(e.Message)); }
        return new RenderedCommand(output, new Dictionary<string, string>(encoder.Values));
    }

    private static string OneLine(string s) => string.Join(' ', s.Split('\n', '\r').Where(l => l.Length > 0)).Trim();

    /// <summary>JSON into dictionaries and strings (every leaf a string), leaving out nulls so strict mode reports them as unknown.</summary>
    private static object ToData(JsonNode node) => node switch
    {
        JsonObject o => o.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => ToData(p.Value!), StringComparer.Ordinal),
        JsonArray a => a.Where(v => v is not null).Select(v => ToData(v!)).ToList(),
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => node.ToJsonString(),
    };

    /// <summary>`env` for checking a template without a run: every name exists.</summary>
    private sealed class AnyName : Dictionary<string, object>, IDictionary<string, object>, IReadOnlyDictionary<string, object>
    {
        public static readonly AnyName Instance = new();
        bool IDictionary<string, object>.TryGetValue(string key, out object value) { value = "value"; return true; }
        bool IReadOnlyDictionary<string, object>.TryGetValue(string key, out object value) { value = "value"; return true; }
        bool IDictionary<string, object>.ContainsKey(string key) => true;
        bool IReadOnlyDictionary<string, object>.ContainsKey(string key) => true;
    }
}

/// <summary>A `run` template that cannot be rendered safely or at all.</summary>
public sealed class TemplateException(string message) : Exception(message);
