using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using CicdOps.Engine.Listener;
using CicdOps.Engine.State;
using CicdOps.Engine.Webhooks;
using Xunit;

namespace CicdOps.Tests.Listener;

/// <summary>A real listener on a free loopback port with a real SQLite store in a temp directory.</summary>
internal sealed class TestListener : IAsyncDisposable
{
    public const string Secret = "It's a Secret to Everybody";
    public static readonly byte[] SecretBytes = Encoding.UTF8.GetBytes(Secret);
    /// <summary>GitLab's token is a setting of its own (it travels in clear), never the webhook secret.</summary>
    public const string GitLabToken = "gitlab token, not the signing key";

    private readonly string _dir;
    public WebhookListener Listener { get; }
    public InMemoryDeployTarget Target { get; }
    public WebhookDeliveryStore Store { get; }
    public ConcurrentQueue<string> Log { get; } = new();
    public HttpClient Http { get; }
    public int Port { get; }
    public string DataPath => _dir;
    public Uri Url => new($"http://127.0.0.1:{Port}/webhook");

    private TestListener(InMemoryDeployTarget target, Func<ListenerOptions, ListenerOptions>? configure)
    {
        _dir = Path.Combine(Path.GetTempPath(), "cicdops-listener-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
        var db = new Database(_dir);
        db.Initialize();
        Store = new WebhookDeliveryStore(db);
        Target = target;
        Port = FreePort();
        var options = new ListenerOptions { Port = Port, BindAddress = "127.0.0.1", Secret = SecretBytes, GitLabToken = Encoding.UTF8.GetBytes(GitLabToken), Log = Log.Enqueue };
        if (configure is not null) options = configure(options);
        Listener = new WebhookListener(options, target, Store, new CicdOps.Server.KestrelHttpServer(options));
        Http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
    }

    public static TestListener Start(InMemoryDeployTarget target, Func<ListenerOptions, ListenerOptions>? configure = null)
    {
        var t = new TestListener(target, configure);
        t.Listener.Start();
        return t;
    }

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public Task<(HttpStatusCode Status, string Body)> PostAsync(string body, IDictionary<string, string> headers, string contentType = "application/json", string path = "/webhook") =>
        PostBytesAsync(Encoding.UTF8.GetBytes(body), headers, contentType, path);

    public async Task<(HttpStatusCode Status, string Body)> PostBytesAsync(byte[] body, IDictionary<string, string> headers, string contentType = "application/json", string path = "/webhook")
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, new Uri($"http://127.0.0.1:{Port}{path}")) { Content = new ByteArrayContent(body) };
        req.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        foreach (var (k, v) in headers) req.Headers.TryAddWithoutValidation(k, v);
        using var resp = await Http.SendAsync(req);
        return (resp.StatusCode, await resp.Content.ReadAsStringAsync());
    }

    /// <summary>Waits until the listener has answered at least <paramref name="n"/> requests before verifying them.</summary>
    public async Task WaitForUnverifiedAsync(long n)
    {
        var until = DateTime.UtcNow.AddSeconds(15);
        while (Listener.Unverified < n && DateTime.UtcNow < until) await Task.Delay(20);
        Assert.True(Listener.Unverified >= n, $"unverified={Listener.Unverified}, expected at least {n}");
    }

    /// <summary>Log lines are written after the response is sent, so wait for them.</summary>
    public async Task WaitForLogAsync(Func<string, bool> match)
    {
        var until = DateTime.UtcNow.AddSeconds(5);
        while (!Log.Any(match) && DateTime.UtcNow < until) await Task.Delay(20);
        Assert.Contains(Log, l => match(l));
    }

    /// <summary>
    /// The accepted record of a delivery once its outcome is written (the outcome joins the next group
    /// commit while the response goes out, so it may land a moment after the 202).
    /// </summary>
    public async Task<WebhookDelivery> RecordAsync(string provider, string deliveryId)
    {
        var until = DateTime.UtcNow.AddSeconds(5);
        while (true)
        {
            var d = Store.Find(provider, deliveryId);
            if (d?.CompletedAt is not null || DateTime.UtcNow > until) return d ?? throw new Xunit.Sdk.XunitException($"delivery {deliveryId} not recorded");
            await Task.Delay(10);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Listener.DisposeAsync();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
