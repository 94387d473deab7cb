using System.Diagnostics;
using System.Globalization;

namespace CicdOps.Engine.Proxy;

/// <summary>
/// Points nginx at one port: the upstream file is replaced by rename, `nginx -t` must accept the configuration
/// with it, then `nginx -s reload` (new workers take new connections, old ones finish theirs). Any failure puts the
/// previous file back and reloads nothing, so what served keeps serving. nginx runs from its absolute path with an
/// argument list and a fixed environment, never through a shell.
/// </summary>
internal static class NginxSwitch
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>The upstream file's content for a port (loopback: the app is reached only through nginx).</summary>
    public static string Upstream(ProjectProxy proxy, int port) =>
        $"# Written by CicdOps for project {proxy.Project}; replaced at each switch, do not edit.\nserver 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)};\n";

    /// <returns>Null when nginx now sends requests to <paramref name="port"/>; otherwise why not (nothing changed).</returns>
    public static async Task<string?> PointAtAsync(ProjectProxy proxy, int port, Action<string> log)
    {
        try { return await PointAtCoreAsync(proxy, port, log); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            return $"cannot switch nginx through {proxy.UpstreamFile}: {e.Message}";
        }
    }

    private static async Task<string?> PointAtCoreAsync(ProjectProxy proxy, int port, Action<string> log)
    {
        var file = proxy.UpstreamFile;
        if (new FileInfo(file).LinkTarget is not null) return $"{file} became a symbolic link: refusing to write through it";
        var previous = File.Exists(file) ? await File.ReadAllTextAsync(file) : null;
        AtomicFile.Write(file, Upstream(proxy, port), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var test = await RunAsync(proxy, "-t");
        var failure = test.Ok ? null : "nginx -t refused the configuration: " + test.Output;
        if (failure is null)
        {
            var reload = await RunAsync(proxy, "-s", "reload");
            if (!reload.Ok) failure = "nginx -s reload failed: " + reload.Output;
        }
        if (failure is null)
        {
            log($"nginx now sends {proxy.Project}'s requests to port {port} ({file}; nginx -t passed, reloaded)");
            return null;
        }
        if (previous is null) File.Delete(file);
        else AtomicFile.Write(file, previous, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        return failure + $"; {file} put back as it was";
    }

    private static async Task<(bool Ok, string Output)> RunAsync(ProjectProxy proxy, params string[] args)
    {
        var psi = new ProcessStartInfo(proxy.Nginx)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
            WorkingDirectory = "/",
        };
        if (proxy.NginxConfig is { } config) { psi.ArgumentList.Add("-c"); psi.ArgumentList.Add(config); }
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Clear();
        psi.Environment["PATH"] = Sandbox.ToolRunner.StandardPath;
        psi.Environment["LANG"] = "C";
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(Timeout);
        try { await p.WaitForExitAsync(limit.Token); }
        catch (OperationCanceledException)
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            return (false, $"nginx {string.Join(' ', args)} did not finish in {Timeout.TotalSeconds:0} s");
        }
        var output = (await stderr + await stdout).Trim().ReplaceLineEndings(" ");
        return (p.ExitCode == 0, output.Length > 500 ? output[..500] + "…" : output);
    }
}
