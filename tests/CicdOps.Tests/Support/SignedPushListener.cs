using System.Net;
using System.Net.Http;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CicdOps.Engine.Listener;

namespace CicdOps.Tests.Support;

/// <summary>
/// The engine's real listener on Kestrel (loopback, a free port, HMAC secret <c>secret</c>) for a harness's engine, and
/// GitHub push deliveries to it signed with that secret: for tests of what a delivery leads to (stale pushes, gated
/// deploys). Stopped on dispose.
/// </summary>
internal sealed class SignedPushListener : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly byte[] _secret;
    private readonly int _port;
    private Task _run = Task.CompletedTask;

    private SignedPushListener(byte[] secret, int port) { _secret = secret; _port = port; }

    public static async Task<SignedPushListener> Start(EngineHarness h, byte[] secret)
    {
        var l = new SignedPushListener(secret, FreePort.Next());
        var options = new ListenerOptions { Port = l._port, BindAddress = "127.0.0.1", Secret = secret };
        l._run = h.Engine.RunListenerAsync(options, new CicdOps.Server.KestrelHttpServer(options),
            _ => { }, l._stop.Token, TimeSpan.FromSeconds(30));
        Engine.QueueTests.WaitFor(() => Engine.AppProcessTests.CanConnect(l._port));
        await Task.Yield();
        return l;
    }

    /// <summary>A signed push of <paramref name="after"/> to the repository's branch, with delivery id <paramref name="delivery"/>.</summary>
    public async Task<HttpStatusCode> Push(TestRepository repo, string after, string delivery)
    {
        var body = JsonSerializer.Serialize(new
        {
            @ref = "refs/heads/" + repo.Branch, before = new string('1', 40), after, deleted = false,
            repository = new { name = "origin", full_name = "local/origin", clone_url = repo.Url },
        });
        var sig = "sha256=" + Convert.ToHexString(HMACSHA256.HashData(_secret, Encoding.UTF8.GetBytes(body))).ToLowerInvariant();
        using var http = new HttpClient();
        using var req = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{_port}/webhook")
            { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        req.Headers.Add("X-GitHub-Event", "push");
        req.Headers.Add("X-GitHub-Delivery", delivery);
        req.Headers.Add("X-Hub-Signature-256", sig);
        using var resp = await http.SendAsync(req);
        return resp.StatusCode;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _run;
        _stop.Dispose();
    }
}
