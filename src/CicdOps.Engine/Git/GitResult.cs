namespace CicdOps.Engine.Git;

internal sealed record GitResult(int ExitCode, string StdOut, string StdErr)
{
    public bool Ok => ExitCode == 0;

    /// <summary>The last line of stderr: git's own one-line explanation of what went wrong.</summary>
    public string Error => StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .LastOrDefault() ?? $"git exited with code {ExitCode}";
}
