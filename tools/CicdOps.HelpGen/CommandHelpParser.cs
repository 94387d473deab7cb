namespace CicdOps.HelpGen;

/// <summary>Reads one cmdlet page written in the platyPS 2.0.0 markdown schema.</summary>
internal static class CommandHelpParser
{
    private static readonly string[] RequiredSections = { "SYNOPSIS", "SYNTAX", "DESCRIPTION", "EXAMPLES", "PARAMETERS", "INPUTS", "OUTPUTS", "NOTES", "RELATED LINKS" };
    private static readonly string[] RequiredParameterKeys =
        { "Type", "Parameter Sets", "Aliases", "Required", "Position", "Default value", "Accept pipeline input", "Accept wildcard characters" };

    public static CommandHelp Parse(string file, string text)
    {
        var lines = MarkdownLines.Read(text);
        var (metadata, bodyStart) = FrontMatter(file, lines);
        var body = lines.Skip(bodyStart).ToList();
        var title = body.FirstOrDefault(l => !l.IsBlank);
        if (title.Text is null || !title.Text.StartsWith("# ", StringComparison.Ordinal))
            throw new HelpFormatException(file, title.Number, "expected '# <Command-Name>' after the front matter");
        var name = title.Text[2..].Trim();

        var sections = MarkdownLines.Sections(body.SkipWhile(l => l.Number <= title.Number), "## ")
            .ToDictionary(s => s.Heading.Text.ToUpperInvariant(), s => s);
        foreach (var required in RequiredSections)
            if (!sections.ContainsKey(required))
                throw new HelpFormatException(file, title.Number, $"missing section '## {required}'");

        var synopsis = MarkdownLines.Paragraphs(sections["SYNOPSIS"].Body);
        if (synopsis.Count == 0) throw new HelpFormatException(file, sections["SYNOPSIS"].Heading.Number, "SYNOPSIS is empty");
        var description = MarkdownLines.Paragraphs(sections["DESCRIPTION"].Body);
        if (description.Count == 0) throw new HelpFormatException(file, sections["DESCRIPTION"].Heading.Number, "DESCRIPTION is empty");

        var parameterSections = MarkdownLines.Sections(sections["PARAMETERS"].Body, "### ");
        var parameters = parameterSections
            .Where(p => p.Heading.Text.StartsWith('-'))
            .Select(p => Parameter(file, p.Heading, p.Body))
            .ToList();
        var unknown = parameterSections.FirstOrDefault(p => !p.Heading.Text.StartsWith('-') && p.Heading.Text != "CommonParameters");
        if (unknown.Body is not null)
            throw new HelpFormatException(file, unknown.Heading.Number, $"parameter headings are '### -Name' or '### CommonParameters', not '{unknown.Heading.Text}'");

        return new CommandHelp
        {
            Name = name,
            SourceFile = file,
            Metadata = metadata,
            Synopsis = synopsis,
            Description = description,
            Examples = Examples(file, sections["EXAMPLES"]),
            Parameters = parameters,
            HasCommonParameters = parameterSections.Any(p => p.Heading.Text == "CommonParameters"),
            Inputs = Types(sections["INPUTS"].Body),
            Outputs = Types(sections["OUTPUTS"].Body),
            Notes = MarkdownLines.Paragraphs(sections["NOTES"].Body),
            Links = Links(file, sections["RELATED LINKS"].Body),
        };
    }

    private static (Dictionary<string, string> Metadata, int BodyStart) FrontMatter(string file, IReadOnlyList<MarkdownLine> lines)
    {
        if (lines.Count == 0 || lines[0].Text != "---") throw new HelpFormatException(file, 1, "expected YAML front matter starting with '---'");
        var metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 1; i < lines.Count; i++)
        {
            if (lines[i].Text == "---")
            {
                foreach (var key in new[] { "external help file", "Module Name", "online version", "schema" })
                    if (!metadata.ContainsKey(key)) throw new HelpFormatException(file, 1, $"front matter lacks '{key}:'");
                if (metadata["schema"] != "2.0.0") throw new HelpFormatException(file, 1, "front matter must say 'schema: 2.0.0'");
                return (metadata, i + 1);
            }
            var colon = lines[i].Text.IndexOf(':');
            if (colon <= 0) throw new HelpFormatException(file, lines[i].Number, "front matter lines are 'key: value'");
            metadata[lines[i].Text[..colon].Trim()] = lines[i].Text[(colon + 1)..].Trim();
        }
        throw new HelpFormatException(file, 1, "front matter is not closed with '---'");
    }

    private static List<ExampleHelp> Examples(string file, (MarkdownLine Heading, List<MarkdownLine> Body) section)
    {
        var examples = new List<ExampleHelp>();
        foreach (var (heading, body) in MarkdownLines.Sections(section.Body, "### "))
        {
            var fenceStart = body.FindIndex(l => l.IsFence);
            if (fenceStart < 0) throw new HelpFormatException(file, heading.Number, $"example '{heading.Text}' has no code block");
            var fenceEnd = body.FindIndex(fenceStart + 1, l => l.IsFence);
            if (fenceEnd < 0) throw new HelpFormatException(file, body[fenceStart].Number, "code block is not closed");
            var code = string.Join("\n", body.Skip(fenceStart + 1).Take(fenceEnd - fenceStart - 1).Select(l => l.Text));
            examples.Add(new ExampleHelp(heading.Text,
                MarkdownLines.Paragraphs(body.Take(fenceStart)),
                code,
                MarkdownLines.Paragraphs(body.Skip(fenceEnd + 1))));
        }
        if (examples.Count == 0) throw new HelpFormatException(file, section.Heading.Number, "EXAMPLES has no '### Example' block");
        return examples;
    }

    private static ParameterHelp Parameter(string file, MarkdownLine heading, List<MarkdownLine> body)
    {
        var name = heading.Text.TrimStart('-').Trim();
        var description = new List<MarkdownLine>();
        var metadata = new List<ParameterMetadata>();
        for (var i = 0; i < body.Count; i++)
        {
            if (!body[i].IsFence) { if (metadata.Count == 0) description.Add(body[i]); continue; }
            if (!body[i].Text.Trim().Equals("```yaml", StringComparison.Ordinal))
                throw new HelpFormatException(file, body[i].Number, $"parameter -{name}: metadata blocks are ```yaml");
            var end = body.FindIndex(i + 1, l => l.IsFence);
            if (end < 0) throw new HelpFormatException(file, body[i].Number, "yaml block is not closed");
            metadata.Add(Metadata(file, name, body[i], body.Skip(i + 1).Take(end - i - 1)));
            i = end;
        }
        if (metadata.Count == 0) throw new HelpFormatException(file, heading.Number, $"parameter -{name} has no ```yaml metadata block");
        var paras = MarkdownLines.Paragraphs(description);
        if (paras.Count == 0) throw new HelpFormatException(file, heading.Number, $"parameter -{name} has no description");
        return new ParameterHelp(name, paras, metadata);
    }

    private static ParameterMetadata Metadata(string file, string parameter, MarkdownLine start, IEnumerable<MarkdownLine> lines)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Where(l => !l.IsBlank))
        {
            var colon = line.Text.IndexOf(':');
            if (colon <= 0) throw new HelpFormatException(file, line.Number, $"parameter -{parameter}: expected 'Key: value'");
            values[line.Text[..colon].Trim()] = line.Text[(colon + 1)..].Trim();
        }
        foreach (var key in RequiredParameterKeys)
            if (!values.ContainsKey(key)) throw new HelpFormatException(file, start.Number, $"parameter -{parameter}: yaml lacks '{key}:'");
        return new ParameterMetadata
        {
            Type = values["Type"],
            ParameterSets = List(values["Parameter Sets"]),
            Aliases = values["Aliases"] is "" or "None" or "none" ? Array.Empty<string>() : List(values["Aliases"]),
            Required = Bool(file, start, parameter, values["Required"]),
            Position = values["Position"],
            DefaultValue = values["Default value"],
            PipelineInput = values["Accept pipeline input"],
            Globbing = Bool(file, start, parameter, values["Accept wildcard characters"]),
        };
    }

    private static string[] List(string value) => value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    private static bool Bool(string file, MarkdownLine at, string parameter, string value) => value.ToLowerInvariant() switch
    {
        "true" => true,
        "false" => false,
        _ => throw new HelpFormatException(file, at.Number, $"parameter -{parameter}: '{value}' is not True or False"),
    };

    private static List<TypeHelp> Types(List<MarkdownLine> body) =>
        MarkdownLines.Sections(body, "### ").Select(s => new TypeHelp(s.Heading.Text, MarkdownLines.Paragraphs(s.Body))).ToList();

    private static List<LinkHelp> Links(string file, List<MarkdownLine> body)
    {
        var links = new List<LinkHelp>();
        foreach (var line in body.Where(l => !l.IsBlank))
        {
            var text = line.Text.Trim();
            var close = text.IndexOf("](", StringComparison.Ordinal);
            if (!text.StartsWith('[') || close < 0 || !text.EndsWith(')'))
                throw new HelpFormatException(file, line.Number, "related links are '[text](uri)' lines");
            links.Add(new LinkHelp(text[1..close], text[(close + 2)..^1]));
        }
        return links;
    }
}
