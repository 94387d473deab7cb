using System.Diagnostics;

namespace CicdOps.Engine.Sandbox;

/// <summary>The result of one system tool run: exit code and captured output.</summary>
internal readonly record struct ToolResult(int ExitCode, string StandardOutput, string StandardError)
{
    public string OneLineError => (StandardError.Length > 0 ? StandardError : StandardOutput).Trim().ReplaceLineEndings(" ");
}

/// <summary>
/// Runs system tools (useradd, chown, visudo, getent…) by absolute path with an argument list, never a
/// shell string, under a fixed minimal environment (LANG=C so messages stay parseable, a standard PATH).
/// </summary>
internal static class ToolRunner
{
    public const string StandardPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    private static readonly string[] SearchDirectories = { "/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin" };

    /// <summary>The absolute path of a tool in the standard system directories, or null.</summary>
    public static string? Find(string tool)
    {
        foreach (var dir in SearchDirectories)
        {
            var candidate = Path.Combine(dir, tool);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    public static string Require(string tool) =>
        Find(tool) ?? throw new CicdException(CicdError.ServiceUserFailed, $"'{tool}' is not installed; it is needed to sandbox projects.", tool);

    public static ToolResult Run(string tool, IEnumerable<string> arguments, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(Require(tool))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        psi.Environment.Clear();
        psi.Environment["PATH"] = StandardPath;
        psi.Environment["LANG"] = "C";
        psi.Environment["LC_ALL"] = "C";
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw new CicdException(CicdError.ServiceUserFailed, $"'{tool}' did not finish in time.", tool);
        }
        p.WaitForExit();
        return new ToolResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs a tool and throws <see cref="CicdError.ServiceUserFailed"/> with <paramref name="what"/> when it fails.</summary>
    public static ToolResult RunOrThrow(string tool, IEnumerable<string> arguments, string what)
    {
        var r = Run(tool, arguments);
        if (r.ExitCode != 0)
            throw new CicdException(CicdError.ServiceUserFailed, $"{what} failed ({tool} exit {r.ExitCode}): {r.OneLineError}", tool);
        return r;
    }
}
