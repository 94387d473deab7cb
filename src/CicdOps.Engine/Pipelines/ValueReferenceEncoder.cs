using System.Text;
using HandlebarsDotNet;

namespace CicdOps.Engine.Pipelines;

/// <summary>
/// Handlebars' "HTML escaper", replaced: every value a `{{...}}` would print is collected and the output gets a
/// quoted reference to an environment variable holding it instead. One instance per render.
/// </summary>
internal sealed class ValueReferenceEncoder : ITextEncoder
{
    public const string Prefix = "CICD_VALUE_";
    private readonly Dictionary<string, string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, string> Values => _values;

    public void Encode(StringBuilder text, TextWriter target) => Encode(text.ToString(), target);

    public void Encode<T>(T text, TextWriter target) where T : IEnumerator<char>
    {
        var sb = new StringBuilder();
        while (text.MoveNext()) sb.Append(text.Current);
        Encode(sb.ToString(), target);
    }

    public void Encode(string text, TextWriter target)
    {
        if (!_names.TryGetValue(text, out var name))
        {
            name = Prefix + (_names.Count + 1);
            _names[text] = name;
            _values[name] = text;
        }
        // Quoted, so an empty value stays one argument and a value with spaces or glob characters is not split.
        target.Write("\"${" + name + "}\"");
    }
}
