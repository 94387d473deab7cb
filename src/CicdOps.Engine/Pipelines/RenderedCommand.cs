namespace CicdOps.Engine.Pipelines;

/// <summary>
/// A `run` command after its template was rendered: <see cref="Command"/> is the pipeline file's own text with each
/// interpolated value replaced by a reference to an environment variable (`"${CICD_VALUE_1}"`), and
/// <see cref="Values"/> holds those variables. The shell expands a variable's value but never parses it as shell
/// syntax, so a value such as `"; touch /tmp/pwned; "` or `$(id)` is only ever text.
/// </summary>
public sealed record RenderedCommand(string Command, IReadOnlyDictionary<string, string> Values)
{
    /// <summary>
    /// bash's arguments for this command (after the program name): no profile or rc files, stop at the first failing
    /// line and pipe stage (as GitHub Actions runs `run`), the command as the one `-c` string. The values travel in the
    /// environment (<see cref="Values"/>), never in this text.
    /// </summary>
    public IReadOnlyList<string> BashArguments => new[] { "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", Command };
}
