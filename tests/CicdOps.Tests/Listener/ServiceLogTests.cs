using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CicdOps.Engine.Listener;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Listener;

/// <summary>
/// The service's journal: what each push became (one line per deployment outcome), and a failed bind said first.
/// Real engine, real git, real deployments, the listener run as the service runs it (RunListenerAsync on Kestrel).
/// </summary>
public sealed class ServiceLogTests
{
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("service-log-secret");

    [Fact]
    public async Task The_log_has_one_line_per_deployment_outcome_Succeeded_RolledBack_with_its_reason_and_Failed()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness();
        // The first commit's install fails: with nothing good to go back to, that deployment is Failed.
        var v0 = repo.WriteSleeper("v0", h.StateDir).Write(".cicd/install.sh", "#!/bin/bash\necho 'no such package' >&2\nexit 3\n").CommitAndPush();
        h.Register(repo, healthTimeout: TimeSpan.FromSeconds(2));
        var log = new ConcurrentQueue<string>();
        var port = FreePort.Next();
        var options = new ListenerOptions { Port = port, BindAddress = "127.0.0.1", Secret = Secret };
        using var stop = new CancellationTokenSource();
        var run = h.Engine.RunListenerAsync(options, new CicdOps.Server.KestrelHttpServer(options), log.Enqueue, stop.Token, TimeSpan.FromSeconds(30));
        try
        {
            Engine.QueueTests.WaitFor(() => Engine.AppProcessTests.CanConnect(port));

            var failed = await PushAndWait(h, repo, port, v0, "d-v0");
            DeploymentAssert.Status(h, DeploymentStatus.Failed, failed);
            var v1 = repo.WriteSleeper("v1", h.StateDir).Delete(".cicd/install.sh").CommitAndPush();
            var ok = await PushAndWait(h, repo, port, v1, "d-v1");
            DeploymentAssert.Status(h, DeploymentStatus.Succeeded, ok);
            var v2 = repo.WriteSleeper("v2", h.StateDir, healthy: false).CommitAndPush();
            var back = await PushAndWait(h, repo, port, v2, "d-v2");
            DeploymentAssert.Status(h, DeploymentStatus.RolledBack, back);

            string Line(long id) => WaitForLine(log, $"deployment id={id} ");
            Assert.Equal($"deployment id={ok.Id} project=app commit={v1} trigger=webhook outcome=Succeeded", Line(ok.Id));
            Assert.Equal($"deployment id={back.Id} project=app commit={v2} trigger=webhook outcome=RolledBack rolled-back-to={v1} reason={ListenerLog.Clean(back.Reason)}", Line(back.Id));
            Assert.Contains("unhealthy", Line(back.Id));
            Assert.Equal($"deployment id={failed.Id} project=app commit={v0} trigger=webhook outcome=Failed reason={ListenerLog.Clean(failed.Reason)}", Line(failed.Id));
            Assert.Contains("install.sh_exited_with_code_3", Line(failed.Id));
            // One line each, besides the one line per delivery.
            foreach (var d in new[] { ok, back, failed }) Assert.Single(log, l => l.StartsWith($"deployment id={d.Id} ", StringComparison.Ordinal));
            foreach (var id in new[] { "d-v0", "d-v1", "d-v2" }) Assert.Single(log, l => l.StartsWith("webhook status=202", StringComparison.Ordinal) && l.Contains("delivery=" + id));
        }
        finally
        {
            stop.Cancel();
            await run;
        }
    }

    [Fact]
    public async Task A_failed_bind_is_the_first_thing_the_service_says()
    {
        using var h = new EngineHarness();
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var log = new ConcurrentQueue<string>();
        var options = new ListenerOptions { Port = port, BindAddress = "127.0.0.1", Secret = Secret };
        var e = await Assert.ThrowsAsync<CicdOps.Engine.CicdException>(() =>
            h.Engine.RunListenerAsync(options, new CicdOps.Server.KestrelHttpServer(options), log.Enqueue, CancellationToken.None));
        Assert.Equal("CicdInvalidPort", e.ErrorId);
        Assert.Contains(port.ToString(), e.Message);
        // Nothing was said before it: no "listening", no recovery, no warning.
        Assert.Empty(log);
    }

    private static async Task<Deployment> PushAndWait(EngineHarness h, TestRepository repo, int port, string after, string delivery)
    {
        var body = JsonSerializer.Serialize(new
        {
            @ref = "refs/heads/" + repo.Branch, before = new string('1', 40), after, deleted = false,
            repository = new { name = "origin", full_name = "local/origin", clone_url = repo.Url },
        });
        var sig = "sha256=" + Convert.ToHexString(HMACSHA256.HashData(Secret, Encoding.UTF8.GetBytes(body))).ToLowerInvariant();
        using var http = new HttpClient();
        using var req = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{port}/webhook") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        req.Headers.Add("X-GitHub-Event", "push");
        req.Headers.Add("X-GitHub-Delivery", delivery);
        req.Headers.Add("X-Hub-Signature-256", sig);
        using var resp = await http.SendAsync(req);
        Assert.Equal(HttpStatusCode.Accepted, resp.StatusCode);
        using var json = JsonDocument.Parse(await resp.Content.ReadAsStringAsync());
        var id = json.RootElement.GetProperty("projects")[0].GetProperty("deployment").GetInt64();
        return h.Wait(h.Engine.GetDeployment(id));
    }

    private static string WaitForLine(ConcurrentQueue<string> log, string prefix)
    {
        var until = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < until)
        {
            if (log.FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal)) is { } line) return line;
            Thread.Sleep(50);
        }
        throw new Xunit.Sdk.XunitException($"no line starting '{prefix}' in:\n{string.Join('\n', log)}");
    }
}
