using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CicdOps.Engine.Listener;
using CicdOps.Engine.Model;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Listener;

/// <summary>A project's own webhook secret overrides the listener's global one, through the real engine.</summary>
public sealed class ProjectWebhookSecretTests
{
    [Fact]
    public async Task A_project_secret_overrides_the_global_secret_and_is_never_listed_or_injected()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var sha = repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        h.Register(repo);
        h.Engine.SetProjectWebhookSecret("app", Encoding.UTF8.GetBytes("project-secret"));
        var port = FreePort.Next();
        using var stop = new CancellationTokenSource();
        var lines = new List<string>();
        var run = h.Engine.RunListenerAsync(new ListenerOptions { Port = port, BindAddress = "127.0.0.1", Secret = Encoding.UTF8.GetBytes("global-secret") }, new CicdOps.Server.KestrelHttpServer(new ListenerOptions { Port = port, BindAddress = "127.0.0.1", Secret = Encoding.UTF8.GetBytes("global-secret") }),
            l => { lock (lines) lines.Add(l); }, stop.Token, TimeSpan.FromSeconds(30));
        Engine.QueueTests.WaitFor(() => Engine.AppProcessTests.CanConnect(port));

        Assert.Equal(HttpStatusCode.Unauthorized, await Push(port, repo, sha, "global-secret", "d1"));
        Assert.Empty(h.Engine.GetDeployments("app"));
        Assert.Equal(HttpStatusCode.Accepted, await Push(port, repo, sha, "project-secret", "d2"));
        var d = h.Wait(h.Engine.GetDeployments("app").Single());
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, d);

        Assert.Empty(h.Engine.GetSecrets("app"));
        Assert.DoesNotContain("project-secret", File.ReadAllText(Path.Combine(h.DataPath, "logs", "app", "deployments", $"{d.Id}.log")));
        lock (lines) Assert.DoesNotContain(lines, l => l.Contains("secret-") || l.Contains("project-secret"));
        stop.Cancel();
        await run;
    }

    [Fact]
    public void Without_any_secret_the_service_refuses_a_public_interface_and_says_why_in_one_line()
    {
        using var h = new EngineHarness();
        var e = Assert.ThrowsAsync<CicdOps.Engine.CicdException>(() =>
            h.Engine.RunListenerAsync(new ListenerOptions { Port = FreePort.Next() }, new CicdOps.Server.KestrelHttpServer(new ListenerOptions { Port = FreePort.Next() }), _ => { }, CancellationToken.None)).Result;
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("secret", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_project_secret_set_or_removed_while_the_listener_runs_applies_within_its_refresh_interval()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        var sha = repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        h.Register(repo);
        // Pinned: deliveries are recorded without deploying; only the signature checks matter here.
        h.Wait(h.Engine.Pin("app", sha).Deployment!);
        var port = FreePort.Next();
        using var stop = new CancellationTokenSource();
        var run = h.Engine.RunListenerAsync(new ListenerOptions { Port = port, BindAddress = "127.0.0.1", Secret = Encoding.UTF8.GetBytes("global-secret") }, new CicdOps.Server.KestrelHttpServer(new ListenerOptions { Port = port, BindAddress = "127.0.0.1", Secret = Encoding.UTF8.GetBytes("global-secret") }),
            _ => { }, stop.Token, TimeSpan.FromSeconds(30));
        Engine.QueueTests.WaitFor(() => Engine.AppProcessTests.CanConnect(port));
        Assert.Equal(HttpStatusCode.Accepted, await Push(port, repo, sha, "global-secret", "before"));

        h.Engine.SetProjectWebhookSecret("app", Encoding.UTF8.GetBytes("project-secret"));
        await Task.Delay(ProjectWebhookSecrets.RefreshInterval + TimeSpan.FromMilliseconds(300));
        Assert.Equal(HttpStatusCode.Unauthorized, await Push(port, repo, sha, "global-secret", "set-1"));
        Assert.Equal(HttpStatusCode.Accepted, await Push(port, repo, sha, "project-secret", "set-2"));

        h.Engine.RemoveProjectWebhookSecret("app");
        await Task.Delay(ProjectWebhookSecrets.RefreshInterval + TimeSpan.FromMilliseconds(300));
        Assert.Equal(HttpStatusCode.Unauthorized, await Push(port, repo, sha, "project-secret", "removed-1"));
        Assert.Equal(HttpStatusCode.Accepted, await Push(port, repo, sha, "global-secret", "removed-2"));
        stop.Cancel();
        await run;
    }

    private static async Task<HttpStatusCode> Push(int port, TestRepository repo, string after, string secret, string delivery)
    {
        var body = JsonSerializer.Serialize(new
        {
            @ref = "refs/heads/" + repo.Branch, before = new string('1', 40), after, deleted = false,
            repository = new { name = "origin", full_name = "local/origin", clone_url = repo.Url },
        });
        var sig = "sha256=" + Convert.ToHexString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body))).ToLowerInvariant();
        using var http = new HttpClient();
        using var req = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{port}/webhook") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        req.Headers.Add("X-GitHub-Event", "push");
        req.Headers.Add("X-GitHub-Delivery", delivery);
        req.Headers.Add("X-Hub-Signature-256", sig);
        using var resp = await http.SendAsync(req);
        return resp.StatusCode;
    }
}
