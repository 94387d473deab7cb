using System.Net;
using System.Text;
using CicdOps.Engine.Listener;
using CicdOps.Engine.Model;
using CicdOps.Engine.Notifications;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Notifications;

/// <summary>The sender inside `cicdops listen` (RunListenerAsync with the real Kestrel server).</summary>
public sealed class ListenerNotificationTests
{
    private static (Task Run, CancellationTokenSource Stop, List<string> Log, int Port) StartListener(EngineHarness h)
    {
        var port = FreePort.Next();
        var options = new ListenerOptions { Port = port, BindAddress = "127.0.0.1", Secret = Encoding.UTF8.GetBytes("global-secret") };
        var stop = new CancellationTokenSource();
        var log = new List<string>();
        var run = h.Engine.RunListenerAsync(options, new CicdOps.Server.KestrelHttpServer(options), l => { lock (log) log.Add(l); }, stop.Token, TimeSpan.FromSeconds(30));
        Engine.QueueTests.WaitFor(() => Engine.AppProcessTests.CanConnect(port));
        return (run, stop, log, port);
    }

    [Fact]
    public async Task A_deploy_is_unaffected_when_every_channel_is_down_and_the_messages_wait_for_them()
    {
        using var repo = new TestRepository();
        using var h = new EngineHarness(NotificationTestKit.FastRetries);
        using var hanging = new HttpReceiver();
        for (var i = 0; i < 100; i++) hanging.Script.Enqueue((0, ""));
        var closedPort = FreePort.Next(); // nothing listens there
        h.Engine.AddNotificationChannel("refused", new NotificationChannelSpec
            { Type = NotificationChannelType.Webhook, Url = $"http://127.0.0.1:{closedPort}/hook", SigningSecret = NotificationTestKit.SigningSecret });
        h.AddHttp("hanging", NotificationChannelType.Slack, hanging);
        repo.WriteSleeper("v1", h.StateDir).CommitAndPush();
        h.Register(repo);
        var (run, stop, log, _) = StartListener(h);

        var d = h.Deploy("app");
        DeploymentAssert.Status(h, DeploymentStatus.Succeeded, d);
        Assert.Equal("v1", h.Serving);
        // The outcome is queued for both channels, which keep failing, each reported once.
        Engine.QueueTests.WaitFor(() => h.Engine.GetNotificationChannels().All(c => c.FailingSince is not null)
            && h.Engine.GetNotificationHistory().Count(x => x.Event == NotificationEventKind.DeploymentSucceeded && x.Status == NotificationDeliveryStatus.Pending) == 2);
        Engine.QueueTests.WaitFor(() => { lock (log) return log.Count(l => l.Contains("is not delivering")) == 2; });
        stop.Cancel();
        await run;
        lock (log)
        {
            Assert.Single(log, l => l.Contains("channel refused is not delivering"));
            Assert.Single(log, l => l.Contains("channel hanging is not delivering"));
        }
        stop.Dispose();
    }

    [Fact]
    public async Task The_listener_reports_its_start_a_rejected_signature_and_its_stop()
    {
        using var h = new EngineHarness(NotificationTestKit.FastRetries);
        using var r = new HttpReceiver();
        h.AddHttp("ops", NotificationChannelType.Webhook, r);
        var (run, stop, _, port) = StartListener(h);
        r.WaitFor(1, q => q.Any(x => x.Text.Contains("\"event\":\"listener-started\"")));

        using (var http = new HttpClient())
        {
            using var req = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{port}/webhook") { Content = new StringContent("{\"ref\":\"refs/heads/main\"}", Encoding.UTF8, "application/json") };
            req.Headers.Add("X-GitHub-Event", "push");
            req.Headers.Add("X-GitHub-Delivery", "forged-1");
            req.Headers.Add("X-Hub-Signature-256", "sha256=" + new string('0', 64));
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(req)).StatusCode);
        }
        var rejected = r.WaitFor(2, q => q.Any(x => x.Text.Contains("\"event\":\"webhook-signature-rejected\""))).First(x => x.Text.Contains("signature-rejected"));
        Assert.Contains("cicdops deliveries unverified", rejected.Text);

        stop.Cancel();
        await run;
        Assert.Contains(r.Requests, x => x.Text.Contains("\"event\":\"listener-stopped\""));
        stop.Dispose();
    }
}
