namespace CicdOps.Engine.Processes;

/// <summary>How a script run ended.</summary>
internal sealed record ScriptResult(int? ExitCode, bool TimedOut, bool Cancelled, TimeSpan Duration)
{
    public bool Succeeded => ExitCode == 0 && !TimedOut && !Cancelled;

    public string Describe(string what) =>
        TimedOut ? $"{what} timed out after {Duration.TotalSeconds:0.#} s"
        : Cancelled ? $"{what} was cancelled"
        : $"{what} exited with code {ExitCode}";
}
