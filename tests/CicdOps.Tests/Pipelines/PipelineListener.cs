using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CicdOps.Engine.Listener;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Pipelines;

/// <summary>
/// The real listener service (`RunListenerAsync`, Kestrel on a free loopback port) over a test engine, and deliveries
/// signed as each forge signs them: GitHub and Bitbucket `sha256=` HMAC headers, Gitea's bare hex HMAC, GitLab's token.
/// </summary>
internal sealed class PipelineListener : IAsyncDisposable
{
    public static readonly byte[] Secret = Encoding.UTF8.GetBytes("pipeline-trigger-secret");
    public const string GitLabToken = "pipeline-trigger-gitlab-token";
    private readonly CancellationTokenSource _stop = new();
    private Task _run = Task.CompletedTask;
    private int _port;

    public System.Collections.Concurrent.ConcurrentQueue<string> Log { get; } = new();

    public static async Task<PipelineListener> Start(EngineHarness h)
    {
        var l = new PipelineListener { _port = FreePort.Next() };
        var options = new ListenerOptions { Port = l._port, BindAddress = "127.0.0.1", Secret = Secret, GitLabToken = Encoding.UTF8.GetBytes(GitLabToken) };
        l._run = h.Engine.RunListenerAsync(options, new CicdOps.Server.KestrelHttpServer(options), l.Log.Enqueue, l._stop.Token, TimeSpan.FromSeconds(30));
        Engine.QueueTests.WaitFor(() => Engine.AppProcessTests.CanConnect(l._port));
        await Task.Yield();
        return l;
    }

    /// <summary>Posts <paramref name="body"/> as <paramref name="provider"/>'s event, signed (or with a wrong signature).</summary>
    public async Task<(HttpStatusCode Status, string Body)> Post(string provider, string eventName, object body, bool badSignature = false)
    {
        var json = JsonSerializer.Serialize(body);
        var bytes = Encoding.UTF8.GetBytes(json);
        var key = badSignature ? Encoding.UTF8.GetBytes("not the secret") : Secret;
        var hex = Convert.ToHexString(HMACSHA256.HashData(key, bytes)).ToLowerInvariant();
        var id = Guid.NewGuid().ToString();
        using var req = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{_port}/webhook") { Content = new ByteArrayContent(bytes) };
        req.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        switch (provider)
        {
            case "github":
                req.Headers.Add("X-GitHub-Event", eventName);
                req.Headers.Add("X-GitHub-Delivery", id);
                req.Headers.Add("X-Hub-Signature-256", "sha256=" + hex);
                break;
            case "gitea":
                req.Headers.Add("X-Gitea-Event", eventName);
                req.Headers.Add("X-Gitea-Delivery", id);
                req.Headers.Add("X-Gitea-Signature", hex);
                break;
            case "gitlab":
                req.Headers.Add("X-Gitlab-Event", eventName);
                req.Headers.Add("X-Gitlab-Event-UUID", id);
                req.Headers.Add("X-Gitlab-Token", badSignature ? "not the token" : GitLabToken);
                break;
            case "bitbucket":
                req.Headers.Add("X-Event-Key", eventName);
                req.Headers.Add("X-Request-UUID", id);
                req.Headers.Add("X-Hub-Signature", "sha256=" + hex);
                break;
        }
        using var http = new HttpClient();
        using var resp = await http.SendAsync(req);
        return (resp.StatusCode, await resp.Content.ReadAsStringAsync());
    }

    /// <summary>A GitHub (or Gitea) push of <paramref name="ref"/> to <paramref name="after"/>.</summary>
    public Task<(HttpStatusCode Status, string Body)> Push(TestRepository repo, string @ref, string after, string provider = "github") =>
        Post(provider, "push", new
        {
            @ref, before = new string('0', 40), after, deleted = false,
            repository = new { name = "origin", full_name = "local/origin", clone_url = repo.Url },
        });

    /// <summary>The pipeline run ids a reply names for <paramref name="project"/>.</summary>
    public static string? RunIn(string reply, string project)
    {
        using var doc = JsonDocument.Parse(reply);
        if (!doc.RootElement.TryGetProperty("projects", out var projects)) return null;
        foreach (var p in projects.EnumerateArray())
            if (p.TryGetProperty("project", out var n) && n.GetString() == project)
                return p.TryGetProperty("pipeline_run", out var r) ? r.GetString() : null;
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _run;
        _stop.Dispose();
    }
}
