using System.Text;

namespace CicdOps.HelpGen;

/// <summary>Turns an about_*.md page into the plain-text about_*.help.txt layout Get-Help shows.</summary>
internal static class AboutTopicConverter
{
    private const string Indent = "    ";

    public static (string Topic, string Text) Convert(string file, string markdown)
    {
        var lines = MarkdownLines.Read(markdown);
        var start = 0;
        if (lines.Count > 0 && lines[0].Text == "---")
        {
            var close = lines.Skip(1).ToList().FindIndex(l => l.Text == "---");
            if (close < 0) throw new HelpFormatException(file, 1, "front matter is not closed with '---'");
            start = close + 2;
        }
        var body = lines.Skip(start).ToList();
        var title = body.FirstOrDefault(l => !l.IsBlank);
        if (title.Text is null || !title.Text.StartsWith("# about_", StringComparison.Ordinal))
            throw new HelpFormatException(file, title.Number, "expected '# about_<Topic>'");
        var topic = title.Text[2..].Trim();
        var sections = MarkdownLines.Sections(body.SkipWhile(l => l.Number <= title.Number), "## ");
        foreach (var required in new[] { "SHORT DESCRIPTION", "LONG DESCRIPTION" })
            if (!sections.Any(s => s.Heading.Text.Equals(required, StringComparison.OrdinalIgnoreCase)))
                throw new HelpFormatException(file, title.Number, $"missing section '## {required}'");

        var text = new StringBuilder();
        text.Append("TOPIC\n").Append(Indent).Append(topic).Append("\n\n");
        foreach (var (heading, sectionBody) in sections)
        {
            text.Append(heading.Text.ToUpperInvariant()).Append('\n');
            var inFence = false;
            // Trailing blank lines would double the gap before the next heading.
            var content = sectionBody.Take(sectionBody.FindLastIndex(l => !l.IsBlank) + 1);
            foreach (var line in content)
            {
                if (line.IsFence) { inFence = !inFence; continue; }
                if (!inFence && line.Text.StartsWith("### ", StringComparison.Ordinal))
                    text.Append(Indent).Append(line.Text[4..].Trim().ToUpperInvariant()).Append('\n');
                else if (line.IsBlank)
                    text.Append('\n');
                else
                    text.Append(inFence ? Indent + Indent : Indent).Append(line.Text).Append('\n');
            }
            text.Append('\n');
        }
        return (topic, text.ToString().TrimEnd('\n') + "\n");
    }
}
