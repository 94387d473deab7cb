using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using CicdOps.Tests.Webhooks;
using Xunit;

namespace CicdOps.Tests.Listener;

/// <summary>Bad signatures, bad bodies, oversized and stalled clients: each gets one clear answer and the listener keeps serving.</summary>
public class ListenerHostileInputTests
{
    private static readonly byte[] Secret = TestListener.SecretBytes;

    private static string Reason(string body) => JsonDocument.Parse(body).RootElement.GetProperty("reason").GetString()!;

    [Theory]
    [InlineData("bad")]
    [InlineData("missing")]
    [InlineData("truncated")]
    [InlineData("sha1")]
    [InlineData("wrong-secret")]
    public async Task BadSignaturesAre401WithAGenericBody(string kind)
    {
        await using var t = TestListener.Start(new SeededProjects().Add("app", "https://github.com/org/app"));
        var body = Payloads.GitHubPush();
        var headers = Payloads.GitHubHeaders(body, Secret, delivery: "sig-" + kind);
        var good = headers["X-Hub-Signature-256"];
        switch (kind)
        {
            case "bad": headers["X-Hub-Signature-256"] = good[..^1] + (good[^1] == '0' ? '1' : '0'); break;
            case "missing": headers.Remove("X-Hub-Signature-256"); break;
            case "truncated": headers["X-Hub-Signature-256"] = good[..40]; break;
            case "sha1": headers.Remove("X-Hub-Signature-256"); headers["X-Hub-Signature"] = "sha1=" + good[7..47]; break;
            case "wrong-secret": headers = Payloads.GitHubHeaders(body, "not the secret"u8.ToArray(), delivery: "sig-" + kind); break;
        }
        var (status, text) = await t.PostAsync(body, headers);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("signature verification failed", Reason(text));
        Assert.DoesNotContain(good[7..], text);
        Assert.DoesNotContain(TestListener.Secret, text);
        Assert.Empty(t.Requests);

        // Counted, not stored, and the id is not burnt: the genuine delivery with the same id still deploys.
        await t.WaitForUnverifiedAsync(1);
        Assert.DoesNotContain(t.Store.List(), d => d.DeliveryId == "sig-" + kind);
        var (again, _) = await t.PostAsync(body, Payloads.GitHubHeaders(body, Secret, delivery: "sig-" + kind));
        Assert.Equal(HttpStatusCode.Accepted, again);
    }

    [Fact]
    public async Task UnsignedDeliveryIsRefusedWhenASecretIsSet()
    {
        await using var t = TestListener.Start(new SeededProjects().Add("app", "https://gitlab.example.com/group/sub/app"));
        var (status, _) = await t.PostAsync(Payloads.GitLabPush(), Payloads.GitLabHeaders(token: null));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Empty(t.Requests);
    }

    [Fact]
    public async Task UnknownRepositoryStillNeedsTheGlobalSecret()
    {
        await using var t = TestListener.Start(new SeededProjects());
        var body = Payloads.GitHubPush(repo: "nobody");
        Assert.Equal(HttpStatusCode.Unauthorized, (await t.PostAsync(body, Payloads.GitHubHeaders(body, "x"u8.ToArray()))).Status);
    }

    [Theory]
    [InlineData("{\"ref\": ")]
    [InlineData("\u0000\u0001garbage")]
    [InlineData("[]")]
    [InlineData("{\"ref\":\"refs/heads/main\",\"after\":\"HEAD~1\",\"repository\":{\"clone_url\":\"https://github.com/org/app.git\"}}")]
    [InlineData("{\"ref\":\"refs/heads/main\",\"repository\":{\"clone_url\":\"https://github.com/org/app.git\"}}")]
    public async Task GarbageAndMissingFieldsAre400WithOneLine(string body)
    {
        await using var t = TestListener.Start(new SeededProjects().Add("app", "https://github.com/org/app"));
        var (status, text) = await t.PostAsync(body, Payloads.GitHubHeaders(body, Secret));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.DoesNotContain('\n', Reason(text));
        Assert.Empty(t.Requests);
        Assert.Equal(HttpStatusCode.OK, (await t.Http.GetAsync($"http://127.0.0.1:{t.Port}/healthz")).StatusCode);
    }

    [Fact]
    public async Task UnknownProviderIs401AndSaysNothingMore()
    {
        await using var t = TestListener.Start(new SeededProjects());
        var (status, text) = await t.PostAsync("{}", new Dictionary<string, string> { ["X-Custom-Event"] = "push" });
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("signature verification failed", Reason(text));
        await t.WaitForLogAsync(l => l.Contains("status=401") && l.Contains("reason=headers:_unknown_provider"));
    }

    [Fact]
    public async Task DeclaredOversizedBodyIs413WithoutReadingIt()
    {
        await using var t = TestListener.Start(new SeededProjects());
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, t.Port);
        var stream = client.GetStream();
        var head = "POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nX-GitHub-Event: push\r\nX-GitHub-Delivery: big-1\r\n" +
                   $"Content-Type: application/json\r\nContent-Length: {25L * 1024 * 1024 + 1}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        // No body is sent at all: the answer must come from the declared length alone.
        var response = await ReadResponseAsync(stream, TimeSpan.FromSeconds(10));
        Assert.StartsWith("HTTP/1.1 413", response);
        await t.WaitForUnverifiedAsync(1);
        Assert.Empty(t.Store.List());
    }

    [Fact]
    public async Task StreamedOversizedBodyIsCutAt25MB()
    {
        await using var t = TestListener.Start(new SeededProjects());
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, t.Port);
        var stream = client.GetStream();
        var head = "POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nX-GitHub-Event: push\r\nX-GitHub-Delivery: big-2\r\n" +
                   "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        var chunk = new byte[1024 * 1024];
        Array.Fill(chunk, (byte)' ');
        var chunkHead = Encoding.ASCII.GetBytes($"{chunk.Length:x}\r\n");
        long sent = 0;
        try
        {
            // Up to 40 MB; the server must stop at 25 MB and answer (or drop the connection) without the rest.
            for (var i = 0; i < 40; i++)
            {
                await stream.WriteAsync(chunkHead);
                await stream.WriteAsync(chunk);
                await stream.WriteAsync("\r\n"u8.ToArray());
                sent += chunk.Length;
            }
        }
        catch (IOException) { /* the server closed the connection: expected */ }

        Assert.True(sent < 40L * 1024 * 1024, "the server read the whole 40 MB");
        await t.WaitForLogAsync(l => l.Contains("status=413") && l.Contains("delivery=big-2"));
        Assert.Empty(t.Store.List());
        Assert.Equal(HttpStatusCode.OK, (await t.Http.GetAsync($"http://127.0.0.1:{t.Port}/healthz")).StatusCode);
    }

    [Fact]
    public async Task StalledClientIsCutOffAndOthersAreServed()
    {
        await using var t = TestListener.Start(new SeededProjects(), o => o with { BodyTimeout = TimeSpan.FromMilliseconds(500) });
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, t.Port);
        var stream = client.GetStream();
        var head = "POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nX-GitHub-Event: push\r\nX-GitHub-Delivery: slow\r\nContent-Length: 1000\r\n\r\n{\"ref\":";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));

        var started = DateTime.UtcNow;
        var response = await ReadResponseAsync(stream, TimeSpan.FromSeconds(10));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(8), "the stalled connection was not cut off");
        Assert.StartsWith("HTTP/1.1 408", response);
        await t.WaitForLogAsync(l => l.Contains("status=408") && l.Contains("reason=body_not_received_in_time"));
        await t.WaitForUnverifiedAsync(1);
        Assert.Empty(t.Store.List());
        Assert.Equal(HttpStatusCode.OK, (await t.Http.GetAsync($"http://127.0.0.1:{t.Port}/healthz")).StatusCode);
    }

    [Fact]
    public async Task Slow_bodies_hold_no_processing_slot_so_a_signed_delivery_is_still_served()
    {
        // The only slot is not taken while bodies arrive: two stalled bodies, then a signed ping is answered at once.
        await using var t = TestListener.Start(new SeededProjects(), o => o with
        {
            MaxConcurrentRequests = 1, QueueTimeout = TimeSpan.FromMilliseconds(200), BodyTimeout = TimeSpan.FromSeconds(5),
        });
        var stalled = new List<TcpClient>();
        for (var i = 0; i < 2; i++)
        {
            var c = new TcpClient();
            await c.ConnectAsync(IPAddress.Loopback, t.Port);
            await c.GetStream().WriteAsync(Encoding.ASCII.GetBytes("POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nX-GitHub-Event: push\r\nContent-Length: 10\r\n\r\n{"));
            stalled.Add(c);
        }
        var until = DateTime.UtcNow.AddSeconds(5);
        while (t.Listener.RequestsInFlight < 2 && DateTime.UtcNow < until) await Task.Delay(10);
        Assert.Equal(2, t.Listener.RequestsInFlight);

        var body = Payloads.GitHubPing();
        var (status, _) = await t.PostAsync(body, Payloads.GitHubHeaders(body, Secret, "ping"));
        Assert.Equal(HttpStatusCode.OK, status);
        foreach (var c in stalled) c.Dispose();
    }

    [Fact]
    public async Task When_the_body_budget_is_spent_large_bodies_get_503_and_small_signed_ones_are_still_served()
    {
        // 4 MB in all: the large share (2 MB) holds one 1.5 MB body; a second waits for nothing and gets 503.
        await using var t = TestListener.Start(new SeededProjects(), o => o with
        {
            BodyMemoryBudget = 4L * 1024 * 1024, SmallBodyBytes = 1024 * 1024, BodyTimeout = TimeSpan.FromSeconds(20),
        });
        const int large = 1536 * 1024;
        using var first = new TcpClient();
        await first.ConnectAsync(IPAddress.Loopback, t.Port);
        await first.GetStream().WriteAsync(Encoding.ASCII.GetBytes($"POST /webhook HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: push\r\nContent-Length: {large}\r\n\r\n{{"));
        // Reserved, not only in flight: a request counts as in flight before it reserves its body, and a second one
        // arriving in between would take the budget itself and then wait for its body (408, not 503).
        var until = DateTime.UtcNow.AddSeconds(30);
        while (t.Listener.BodyBytesReserved < large && DateTime.UtcNow < until) await Task.Delay(10);
        Assert.Equal(large, t.Listener.BodyBytesReserved);

        using var second = new TcpClient();
        await second.ConnectAsync(IPAddress.Loopback, t.Port);
        var stream = second.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"POST /webhook HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: push\r\nContent-Length: {large}\r\n\r\n"));
        Assert.StartsWith("HTTP/1.1 503", await ReadResponseAsync(stream, TimeSpan.FromSeconds(10)));

        var body = Payloads.GitHubPing();
        Assert.Equal(HttpStatusCode.OK, (await t.PostAsync(body, Payloads.GitHubHeaders(body, Secret, "ping"))).Status);
        Assert.Equal(HttpStatusCode.OK, (await t.Http.GetAsync($"http://127.0.0.1:{t.Port}/healthz")).StatusCode);
    }

    [Fact]
    public async Task LogsAreOneLinePerEventWithoutSecretsOrSignatures()
    {
        await using var t = TestListener.Start(new SeededProjects().Add("app", "https://user:hunter2@github.com/org/app"));
        var body = Payloads.GitHubPush();
        var headers = Payloads.GitHubHeaders(body, Secret, delivery: new string('x', 201));
        await t.PostAsync(body, Payloads.GitHubHeaders(body, Secret, delivery: "log-1"));
        await t.PostAsync(body, Payloads.GitHubHeaders(body, "wrong"u8.ToArray(), delivery: "log-2"));
        await t.PostAsync(body, headers);
        var sig = Payloads.GitHubHeaders(body, Secret)["X-Hub-Signature-256"];

        await t.WaitForLogAsync(l => l.Contains("status=202") && l.Contains("delivery=log-1") && l.Contains("projects=app:queued"));
        await t.WaitForLogAsync(l => l.Contains("status=401") && l.Contains("delivery=log-2") && l.Contains("reason=signature_invalid"));
        await t.WaitForLogAsync(l => l.Contains("status=401") && l.Contains("invalid_delivery_id_header"));
        var lines = t.Log.ToArray();
        foreach (var l in lines)
        {
            Assert.DoesNotContain('\n', l);
            Assert.DoesNotContain(TestListener.Secret, l);
            Assert.DoesNotContain(sig[7..], l);
            Assert.DoesNotContain("hunter2", l);
            Assert.DoesNotContain("$(reboot)", l); // commit messages are never logged
        }
    }

    [Fact]
    public async Task StoppingLetsARequestInFlightFinish()
    {
        await using var t = TestListener.Start(new SeededProjects());
        var body = Payloads.GitHubPing();
        var sig = Payloads.GitHubHeaders(body, Secret)["X-Hub-Signature-256"];
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, t.Port);
        var stream = client.GetStream();
        var head = "POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nX-GitHub-Event: ping\r\nX-GitHub-Delivery: in-flight\r\n" +
                   $"X-Hub-Signature-256: {sig}\r\nContent-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head + body[..10]));
        var until = DateTime.UtcNow.AddSeconds(5);
        while (t.Listener.RequestsInFlight == 0 && DateTime.UtcNow < until) await Task.Delay(10);
        Assert.Equal(1, t.Listener.RequestsInFlight);

        var stopping = t.Listener.StopAsync(TimeSpan.FromSeconds(5));
        await Task.Delay(200);
        Assert.False(stopping.IsCompleted);
        await stream.WriteAsync(Encoding.UTF8.GetBytes(body[10..]));
        var response = await ReadResponseAsync(stream, TimeSpan.FromSeconds(5));
        Assert.StartsWith("HTTP/1.1 200", response);
        await stopping;
        Assert.Contains(t.Log, l => l == "listener stopped abandoned=0");
    }

    private static async Task<string> ReadResponseAsync(NetworkStream stream, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[4096];
        var sb = new StringBuilder();
        try
        {
            while (true)
            {
                var n = await stream.ReadAsync(buffer, cts.Token);
                if (n == 0) break;
                sb.Append(Encoding.ASCII.GetString(buffer, 0, n));
                if (sb.ToString().Contains("\r\n\r\n")) break;
            }
        }
        catch (IOException) { /* connection dropped */ }
        return sb.ToString();
    }
}
