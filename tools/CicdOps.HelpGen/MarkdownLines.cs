namespace CicdOps.HelpGen;

/// <summary>A markdown line with its 1-based line number, so every error can point at the source.</summary>
internal readonly record struct MarkdownLine(int Number, string Text)
{
    public bool IsBlank => string.IsNullOrWhiteSpace(Text);
    public bool IsFence => Text.TrimStart().StartsWith("```", StringComparison.Ordinal);
}

/// <summary>Splitting helpers that respect code fences (a "## " inside a fence is code, not a heading).</summary>
internal static class MarkdownLines
{
    public static IReadOnlyList<MarkdownLine> Read(string text) =>
        text.Replace("\r\n", "\n").Split('\n').Select((t, i) => new MarkdownLine(i + 1, t.TrimEnd())).ToList();

    /// <summary>Groups lines under headings starting with <paramref name="prefix"/> ("## ", "### ").</summary>
    public static List<(MarkdownLine Heading, List<MarkdownLine> Body)> Sections(IEnumerable<MarkdownLine> lines, string prefix,
        List<MarkdownLine>? preamble = null)
    {
        var result = new List<(MarkdownLine, List<MarkdownLine>)>();
        List<MarkdownLine>? current = preamble;
        var inFence = false;
        foreach (var line in lines)
        {
            if (line.IsFence) inFence = !inFence;
            if (!inFence && line.Text.StartsWith(prefix, StringComparison.Ordinal))
            {
                current = new List<MarkdownLine>();
                result.Add((line with { Text = line.Text[prefix.Length..].Trim() }, current));
                continue;
            }
            current?.Add(line);
        }
        return result;
    }

    /// <summary>
    /// Paragraphs separated by blank lines. Prose lines are joined with spaces; lists and code keep their line breaks.
    /// </summary>
    public static List<string> Paragraphs(IEnumerable<MarkdownLine> lines)
    {
        var paras = new List<string>();
        var current = new List<string>();
        var inFence = false;
        var isCode = false;
        void Flush()
        {
            if (current.Count == 0) return;
            var keepBreaks = isCode || current.Any(l => l.TrimStart().StartsWith("- ", StringComparison.Ordinal) || l.TrimStart().StartsWith("* ", StringComparison.Ordinal));
            paras.Add(keepBreaks ? string.Join("\n", current) : string.Join(" ", current.Select(l => l.Trim())));
            current.Clear();
            isCode = false;
        }
        foreach (var line in lines)
        {
            if (line.IsFence)
            {
                if (!inFence) { Flush(); isCode = true; }
                inFence = !inFence;
                if (!inFence) Flush();
                continue;
            }
            if (!inFence && line.IsBlank) { Flush(); continue; }
            current.Add(line.Text);
        }
        Flush();
        return paras;
    }
}
