using System.Diagnostics;
using CicdOps.Engine.Processes;
using CicdOps.Engine.Sandbox;

namespace CicdOps.Engine.Pipelines;

/// <summary>
/// Moves files between a run's workspace and a tar archive, with every workspace access made by tar running as the
/// project's account (the step's launch plan, in the run's cgroup): the engine only ever reads and writes the archive
/// in its own data directory, streamed through a pipe. So a symbolic link the pipeline planted (`dist -&gt; /etc`)
/// can reach no more than the account itself can, and nothing outside the workspace is read or written as root.
/// Links are archived as links (tar never follows them), and globstar does not descend through them.
/// </summary>
internal static class WorkspaceArchive
{
    private static readonly string Bash = new[] { "/bin/bash", "/usr/bin/bash" }.FirstOrDefault(File.Exists) ?? "/bin/bash";

    /// <summary>
    /// The patterns arrive as arguments, never in the script's text. A directory that matches is archived with its
    /// contents; names are deduplicated (a directory and `dir/**` both matching add each file once). Exit 3: no match.
    /// </summary>
    private const string PackScript = """
        shopt -s globstar nullglob dotglob
        IFS=
        declare -A seen
        list=()
        add() { local f=${1%/}; [ -n "${seen[$f]+x}" ] && return; seen[$f]=1; list+=("$f"); }
        for pattern in "$@"; do
          for f in $pattern; do
            [ -e "$f" ] || [ -L "$f" ] || continue
            f=${f#./}
            f=${f%/}
            add "$f"
            if [ -d "$f" ] && [ ! -L "$f" ]; then for g in "$f"/**; do add "$g"; done; fi
          done
        done
        [ ${#list[@]} -gt 0 ] || exit 3
        printf '%s\0' "${list[@]}" | tar --create --format=gnu --no-recursion --null --files-from=- --file=-
        """;

    /// <summary>Extracts into the destination (made if missing) below the workspace; as the account, so ownership is the account's.</summary>
    private const string UnpackScript = """
        set -e
        mkdir -p -- "$1"
        cd -- "$1"
        exec tar --extract --file=- --no-same-owner --no-same-permissions --no-overwrite-dir
        """;

    public sealed record PackResult(bool NothingMatched, bool TooLarge, long Bytes, string? Error);

    /// <summary>Archives what <paramref name="patterns"/> match in the workspace into <paramref name="archive"/> (at most <paramref name="maxBytes"/>).</summary>
    public static async Task<PackResult> PackAsync(LaunchPlan plan, IReadOnlyList<string>? join, string workspace, IReadOnlyList<string> patterns,
        string archive, long maxBytes, CancellationToken ct)
    {
        var psi = ProcessLaunch.Create(new LaunchSpec(new[] { Bash, "--noprofile", "--norc", "-o", "pipefail", "-c", PackScript, "pack" }.Concat(patterns).ToList(), plan),
            workspace, join);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync(ct);
        long bytes = 0;
        var tooLarge = false;
        await using (var file = new FileStream(archive, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
        {
            var buffer = new byte[1 << 16];
            int n;
            try
            {
                while ((n = await process.StandardOutput.BaseStream.ReadAsync(buffer, ct)) > 0)
                {
                    bytes += n;
                    if (bytes > maxBytes) { tooLarge = true; break; }
                    await file.WriteAsync(buffer.AsMemory(0, n), ct);
                }
            }
            finally { if (tooLarge || ct.IsCancellationRequested) StopGroup(process); }
        }
        await process.WaitForExitAsync(CancellationToken.None);
        var error = await SafeRead(stderr);
        if (tooLarge) return new PackResult(false, true, bytes, null);
        if (process.ExitCode == 3) return new PackResult(true, false, 0, null);
        return process.ExitCode == 0 ? new PackResult(false, false, bytes, null)
            : new PackResult(false, false, bytes, $"exited with code {process.ExitCode}: {LastLine(error)}");
    }

    /// <summary>Extracts <paramref name="archive"/> into <paramref name="destination"/> (relative to the workspace); null, or tar's error.</summary>
    public static async Task<string?> UnpackAsync(LaunchPlan plan, IReadOnlyList<string>? join, string workspace, string destination, string archive,
        CancellationToken ct)
    {
        var psi = ProcessLaunch.Create(new LaunchSpec(new[] { Bash, "--noprofile", "--norc", "-c", UnpackScript, "unpack", destination }, plan),
            workspace, join);
        psi.RedirectStandardInput = true;
        psi.RedirectStandardError = true;
        psi.RedirectStandardOutput = true;
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync(ct);
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        try
        {
            await using var file = new FileStream(archive, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous);
            await file.CopyToAsync(process.StandardInput.BaseStream, ct);
        }
        catch (IOException) { /* tar stopped reading: its exit code and stderr say why */ }
        catch (OperationCanceledException) { StopGroup(process); throw; }
        finally { try { process.StandardInput.Close(); } catch (IOException) { } }
        await process.WaitForExitAsync(CancellationToken.None);
        await SafeRead(stdout);
        var error = await SafeRead(stderr);
        return process.ExitCode == 0 ? null : $"exited with code {process.ExitCode}: {LastLine(error)}";
    }

    private static void StopGroup(Process process)
    {
        // setsid made the process a group leader: the group is tar and its shell.
        try { Posix.Kill(-process.Id, Posix.SIGKILL); process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
    }

    private static async Task<string> SafeRead(Task<string> read)
    {
        try { return await read; }
        catch (Exception e) when (e is OperationCanceledException or IOException) { return ""; }
    }

    private static string LastLine(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault()?.Trim() ?? "";
}
