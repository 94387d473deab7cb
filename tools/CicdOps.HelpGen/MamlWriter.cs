using System.Xml.Linq;

namespace CicdOps.HelpGen;

/// <summary>Writes commands as MAML in the shape platyPS's New-ExternalHelp produces, which Get-Help reads.</summary>
internal static class MamlWriter
{
    public static readonly XNamespace Msh = "http://msh";
    public static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    public static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    public static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";
    public static readonly XNamespace MsHelp = "http://msdn.microsoft.com/mshelp";
    private const string DefaultSet = "__AllParameterSets";

    public static XDocument Write(IEnumerable<CommandHelp> commands) =>
        new(new XDeclaration("1.0", "utf-8", null),
            new XElement(Msh + "helpItems", new XAttribute("schema", "maml"),
                commands.OrderBy(c => c.Name, StringComparer.OrdinalIgnoreCase).Select(CommandElement)));

    private static XElement CommandElement(CommandHelp c) =>
        new(Command + "command",
            new XAttribute(XNamespace.Xmlns + "maml", Maml),
            new XAttribute(XNamespace.Xmlns + "command", Command),
            new XAttribute(XNamespace.Xmlns + "dev", Dev),
            new XAttribute(XNamespace.Xmlns + "MSHelp", MsHelp),
            new XElement(Command + "details",
                new XElement(Command + "name", c.Name),
                new XElement(Command + "verb", c.Verb),
                new XElement(Command + "noun", c.Noun),
                Description(c.Synopsis)),
            Description(c.Description),
            new XElement(Command + "syntax", SetNames(c).Select(set => SyntaxItem(c, set))),
            new XElement(Command + "parameters", c.Parameters.Select(p => ParameterElement(p, p.Metadata[0], inSyntax: false))),
            new XElement(Command + "inputTypes", c.Inputs.Select(t => new XElement(Command + "inputType", TypeElement(t.Type), Description(t.Description)))),
            new XElement(Command + "returnValues", c.Outputs.Select(t => new XElement(Command + "returnValue", TypeElement(t.Type), Description(t.Description)))),
            new XElement(Maml + "alertSet", new XElement(Maml + "alert", Paras(c.Notes))),
            new XElement(Command + "examples", c.Examples.Select(ExampleElement)),
            new XElement(Command + "relatedLinks", Links(c)));

    /// <summary>Every parameter set named in the metadata; a command without named sets has the one default set.</summary>
    private static IEnumerable<string> SetNames(CommandHelp c)
    {
        var sets = c.Parameters.SelectMany(p => p.Metadata).SelectMany(m => m.ParameterSets)
            .Where(s => s != ParameterMetadata.AllSets).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        return sets.Count == 0 ? new[] { DefaultSet } : sets;
    }

    private static XElement SyntaxItem(CommandHelp c, string set)
    {
        var members = c.Parameters
            .Select(p => (Parameter: p, Meta: p.Metadata.FirstOrDefault(m => set == DefaultSet || m.AppliesTo(set))))
            .Where(x => x.Meta is not null)
            // Get-Command's order: positional by position, then mandatory named, then optional named.
            .OrderBy(x => int.TryParse(x.Meta!.Position, out var pos) ? pos : int.MaxValue)
            .ThenBy(x => x.Meta!.Required ? 0 : 1);
        return new XElement(Command + "syntaxItem",
            new XElement(Maml + "name", c.Name),
            members.Select(x => ParameterElement(x.Parameter, x.Meta!, inSyntax: true)));
    }

    private static XElement ParameterElement(ParameterHelp p, ParameterMetadata m, bool inSyntax)
    {
        var isSwitch = p.Type.Equals("SwitchParameter", StringComparison.OrdinalIgnoreCase);
        return new XElement(Command + "parameter",
            new XAttribute("required", m.Required ? "true" : "false"),
            new XAttribute("variableLength", "true"),
            new XAttribute("globbing", m.Globbing ? "true" : "false"),
            new XAttribute("pipelineInput", m.PipelineInput),
            new XAttribute("position", m.Position.Equals("named", StringComparison.OrdinalIgnoreCase) ? "named" : m.Position),
            new XAttribute("aliases", m.Aliases.Count == 0 ? "none" : string.Join(", ", m.Aliases)),
            new XElement(Maml + "name", p.Name),
            Description(p.Description),
            // Switches take no value, so the syntax shows no <Type> for them.
            isSwitch && inSyntax ? null : new XElement(Command + "parameterValue",
                new XAttribute("required", isSwitch ? "false" : "true"), new XAttribute("variableLength", "false"), p.Type),
            TypeElement(p.Type),
            new XElement(Dev + "defaultValue", m.DefaultValue));
    }

    private static XElement ExampleElement(ExampleHelp e) =>
        new(Command + "example",
            new XElement(Maml + "title", $"--------------- {e.Title} ---------------"),
            e.Introduction.Count == 0 ? null : new XElement(Maml + "introduction", Paras(e.Introduction)),
            new XElement(Dev + "code", e.Code),
            new XElement(Dev + "remarks", Paras(e.Remarks)));

    private static IEnumerable<XElement> Links(CommandHelp c)
    {
        if (c.Metadata.TryGetValue("online version", out var online) && !string.IsNullOrWhiteSpace(online))
            yield return Link("Online Version:", online);
        foreach (var l in c.Links) yield return Link(l.Text, l.Uri);
    }

    private static XElement Link(string text, string uri) =>
        new(Maml + "navigationLink", new XElement(Maml + "linkText", text), new XElement(Maml + "uri", uri));

    private static XElement TypeElement(string type) =>
        new(Dev + "type", new XElement(Maml + "name", type), new XElement(Maml + "uri"));

    private static XElement Description(IEnumerable<string> paras) => new(Maml + "description", Paras(paras));

    private static IEnumerable<XElement> Paras(IEnumerable<string> paras)
    {
        var list = paras.ToList();
        // An empty maml:para keeps the element shape Get-Help expects.
        return list.Count == 0 ? new[] { new XElement(Maml + "para") } : list.Select(p => new XElement(Maml + "para", p));
    }
}
