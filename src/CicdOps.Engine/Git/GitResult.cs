namespace CicdOps.Engine.Git;

internal sealed record GitResult(int ExitCode, string StdOut, string StdErr)
{
    private const int MaxErrorLength = 600;

    public bool Ok => ExitCode == 0;

    /// <summary>
    /// Git's explanation on one line: every stderr line, joined. Its last line alone can say the opposite of the
    /// whole ("…and the repository exists." ends the message for a repository that does not).
    /// </summary>
    public string Error
    {
        get
        {
            var lines = StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Where(l => !l.StartsWith("hint:", StringComparison.Ordinal)).ToList();
            if (lines.Count == 0) return $"git exited with code {ExitCode}";
            var text = string.Join(" ", lines);
            return text.Length <= MaxErrorLength ? text : text[..MaxErrorLength] + "…";
        }
    }
}
