using System.Diagnostics;
using System.Net.Http;

namespace CicdOps.Tests.Support;

/// <summary>
/// A real Caddy (Debian's, /usr/bin/caddy) started by the test on free loopback ports, its JSON configuration,
/// storage and home in a temporary directory: one HTTP server on <see cref="Port"/> whose only route is a
/// reverse_proxy handler with "@id" <see cref="Route"/> (first pointed at the given port), and the admin API on
/// <see cref="Admin"/>. Stopped on Dispose.
/// </summary>
public sealed class CaddyServer : IDisposable
{
    public const string Program = "/usr/bin/caddy";
    public const string Route = "app-upstream";
    private readonly TempDirectory _dir = new("cicdops-caddy");
    private readonly Process _process;

    public CaddyServer(int initialUpstreamPort)
    {
        Port = FreePort.Next();
        AdminPort = FreePort.Next();
        var config = _dir.Combine("caddy.json");
        File.WriteAllText(config, $$"""
            {
              "admin": { "listen": "127.0.0.1:{{AdminPort}}" },
              "storage": { "module": "file_system", "root": "{{_dir.Combine("storage")}}" },
              "apps": { "http": { "servers": { "app": {
                "listen": ["127.0.0.1:{{Port}}"],
                "automatic_https": { "disable": true },
                "routes": [ { "handle": [ { "@id": "{{Route}}", "handler": "reverse_proxy", "upstreams": [ { "dial": "127.0.0.1:{{initialUpstreamPort}}" } ] } ] } ]
              } } } }
            }
            """);
        var psi = new ProcessStartInfo(Program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "run", "--config", config }) psi.ArgumentList.Add(a);
        psi.Environment["HOME"] = _dir.Path;
        psi.Environment["XDG_DATA_HOME"] = _dir.Combine("data");
        psi.Environment["XDG_CONFIG_HOME"] = _dir.Combine("config");
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.Add(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.Add(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var until = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < until)
        {
            try { if (http.GetAsync(Admin + "/id/" + Route).GetAwaiter().GetResult().IsSuccessStatusCode) return; }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
            if (_process.HasExited) break;
            Thread.Sleep(50);
        }
        Dispose();
        throw new InvalidOperationException("caddy did not start: " + Log);
    }

    private readonly List<string> _log = new();
    public int Port { get; }
    public int AdminPort { get; }
    public string Admin => $"http://127.0.0.1:{AdminPort}";
    public string Log { get { lock (_log) return string.Join('\n', _log.TakeLast(40)); } }
    public string Url(string path) => $"http://127.0.0.1:{Port}{path}";

    /// <summary>The upstreams Caddy's handler has now, as JSON.</summary>
    public string Upstreams()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        return http.GetStringAsync(Admin + "/id/" + Route + "/upstreams").GetAwaiter().GetResult().Trim();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            _process.WaitForExit(10_000);
        }
        _process.Dispose();
        _dir.Dispose();
    }
}
