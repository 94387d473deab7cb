using System.Diagnostics;

namespace CicdOps.Tests.Support;

/// <summary>Runs a real command (argument list, no shell) and returns its output; throws when it fails.</summary>
public static class Run
{
    public static string Command(string file, string? workingDirectory, params string[] args)
    {
        var (code, stdout, stderr) = Try(file, workingDirectory, args);
        if (code != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({code}): {stderr}");
        return stdout;
    }

    public static (int Code, string StdOut, string StdErr) Try(string file, string? workingDirectory, params string[] args) =>
        TryWithEnv(file, workingDirectory, null, args);

    public static (int Code, string StdOut, string StdErr) TryWithEnv(string file, string? workingDirectory,
        IDictionary<string, string?>? env, params string[] args)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException($"{file} timed out"); }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
