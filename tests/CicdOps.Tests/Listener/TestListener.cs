using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using CicdOps.Engine;
using CicdOps.Engine.Listener;
using CicdOps.Engine.State;
using CicdOps.Engine.Webhooks;
using Xunit;

namespace CicdOps.Tests.Listener;

/// <summary>
/// Projects a <see cref="TestListener"/> starts with. They are rows of the engine's own projects table, written by
/// its ProjectStore: registration would also ask each repository for its branch (git ls-remote), and these URLs name
/// hosts a test cannot reach — the forms (scp-like, ssh with a port, mixed case) are what the matching tests are about.
/// </summary>
internal sealed class SeededProjects
{
    public List<(string Name, string Repository, string Branch, string? Pinned)> Rows { get; } = new();

    public SeededProjects Add(string name, string repository, string branch = "main", string? pinned = null)
    {
        Rows.Add((name, repository, branch, pinned));
        return this;
    }
}

/// <summary>
/// A real listener on a free loopback port over the real engine: a real SQLite data directory, real project rows, the
/// engine's own queueing transaction and runner start. The runner the engine starts for a queued deployment is a
/// worker command that only records the project it was started for (so no deployment runs: these tests are about
/// delivery handling); the deployment stays Queued (or Skipped, Superseded) exactly as the engine recorded it.
/// </summary>
internal sealed class TestListener : IAsyncDisposable
{
    public const string Secret = "It's a Secret to Everybody";
    public static readonly byte[] SecretBytes = Encoding.UTF8.GetBytes(Secret);
    /// <summary>GitLab's token is a setting of its own (it travels in clear), never the webhook secret.</summary>
    public const string GitLabToken = "gitlab token, not the signing key";

    private readonly string _dir;
    private readonly string _runnerLog;
    public CicdEngine Engine { get; }
    public WebhookListener Listener { get; }
    /// <summary>A reader of the delivery records in the same data directory.</summary>
    public WebhookDeliveryStore Store { get; }
    public ConcurrentQueue<string> Log { get; } = new();
    public HttpClient Http { get; }
    public int Port { get; }
    public string DataPath => Engine.DataPath;
    public Uri Url => new($"http://127.0.0.1:{Port}/webhook");

    private TestListener(SeededProjects projects, Func<ListenerOptions, ListenerOptions>? configure, TimeSpan? projectRefresh)
    {
        _dir = Path.Combine(Path.GetTempPath(), "cicdops-listener-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
        _runnerLog = Path.Combine(_dir, "runners-started");
        File.WriteAllText(_runnerLog, "");
        Engine = CicdEngine.Open(new EngineOptions
        {
            DataPath = Path.Combine(_dir, "data"),
            // The engine's real runner start (a detached worker process), with a worker that records and exits.
            WorkerCommand = ["/bin/sh", "-c", "printf '%s\\n' \"$1\" >> \"$0\"", _runnerLog],
        });
        foreach (var (name, repository, branch, pinned) in projects.Rows) Seed(name, repository, branch, pinned);
        Store = new WebhookDeliveryStore(new Database(DataPath));
        Port = FreePort();
        var options = new ListenerOptions { Port = Port, BindAddress = "127.0.0.1", Secret = SecretBytes, GitLabToken = Encoding.UTF8.GetBytes(GitLabToken), Log = Log.Enqueue };
        if (configure is not null) options = configure(options);
        var server = new CicdOps.Server.KestrelHttpServer(options);
        Listener = projectRefresh is { } refresh
            ? Engine.CreateWebhookListener(options, server, refresh)
            : Engine.CreateWebhookListener(options, server);
        Http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <param name="projectRefresh">How long the listener keeps its project list (default: the engine's 1 s).</param>
    public static TestListener Start(SeededProjects projects, Func<ListenerOptions, ListenerOptions>? configure = null, TimeSpan? projectRefresh = null)
    {
        var t = new TestListener(projects, configure, projectRefresh);
        t.Listener.Start();
        return t;
    }

    private void Seed(string name, string repository, string branch, string? pinned)
    {
        var now = DateTimeOffset.UtcNow;
        var project = new Project
        {
            Name = name, Repository = repository, Branch = branch, Path = Path.Combine(_dir, "trees", name), CreatedAt = now, UpdatedAt = now,
            // These tests are about deliveries and deployments: no pipeline runs (they would clone hosts a test cannot reach).
            PipelineEvents = Array.Empty<string>(),
        };
        Engine.Context.Db.Write(c =>
        {
            ProjectStore.Insert(c, project);
            if (pinned is not null) ProjectStore.Set(c, name, "pinned_commit", pinned);
        });
    }

    /// <summary>Every deployment the engine recorded for the listener's deliveries, oldest first (Queued, Skipped, Superseded...).</summary>
    public IReadOnlyList<Deployment> Requests =>
        Engine.GetProjects().SelectMany(p => Engine.GetDeployments(p.Name, 1000)).Where(d => d.Trigger == DeploymentTrigger.Webhook)
            .OrderBy(d => d.Id).ToList();

    /// <summary>The projects the engine started a runner for, in order (the recording worker writes one line each).</summary>
    public IReadOnlyList<string> RunnersStarted => File.ReadAllLines(_runnerLog);

    /// <summary>Waits until <paramref name="n"/> runners were started (the worker is a detached process).</summary>
    public async Task<IReadOnlyList<string>> WaitForRunnersAsync(int n)
    {
        var until = DateTime.UtcNow.AddSeconds(15);
        while (RunnersStarted.Count < n && DateTime.UtcNow < until) await Task.Delay(20);
        return RunnersStarted;
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
        Store.Dispose();
        Engine.Dispose();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
