using System.Diagnostics;
using System.Net.Http.Headers;
using CicdOps.Tests.Cli;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Api;

/// <summary>
/// A CicdOps server for multi-node tests: its own data directory (a <see cref="CliHarness"/>) and its own `cicdops
/// listen` on a free port. Disposing kills the listener (if still running) and then the harness.
/// </summary>
public sealed class ListenerNode : IDisposable
{
    public ListenerNode(CliHarness cli) { Cli = cli; }

    public CliHarness Cli { get; }
    public int Port { get; private set; }
    public Process? Listener { get; private set; }
    public string Url(string path) => $"http://127.0.0.1:{Port}{path}";

    public void StartListener(double heartbeatSeconds = 15)
    {
        var secretFile = Path.Combine(Cli.Root, "webhook.secret");
        File.WriteAllText(secretFile, "fleet-watch-test-secret\n");
        Port = FreePort.Next();
        Listener = Cli.Start("listen", "--port", Port.ToString(), "--bind", "127.0.0.1", "--webhook-secret-file", secretFile,
            "--api-heartbeat", heartbeatSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!CicdOps.Tests.Engine.AppProcessTests.CanConnect(Port))
        {
            if (Listener.HasExited) Assert.Fail("listen exited: " + Listener.StandardError.ReadToEnd());
            if (DateTime.UtcNow > deadline) Assert.Fail("listen did not start");
            Thread.Sleep(50);
        }
    }

    /// <summary>Creates a token with the CLI and returns the value it printed once.</summary>
    public string CreateToken(string scope, string name) =>
        Cli.Run("token", "create", "--scope", scope, "--name", name).ShouldExit(0).StdOut.Trim();

    public async Task<(int Status, string Body)> GetAsync(string pathAndQuery, string? token)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, Url(pathAndQuery));
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public void Kill()
    {
        if (Listener is { HasExited: false } p)
        {
            p.Kill();
            p.WaitForExit();
        }
    }

    public void Dispose()
    {
        Kill();
        Listener?.Dispose();
        Cli.Dispose();
    }
}
