using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CicdOps.Engine.Listener;
using CicdOps.Engine.Webhooks;
using CicdOps.Server;
using CicdOps.Tests.Webhooks;
using Xunit;

namespace CicdOps.Tests.Listener;

/// <summary>What the listener gets from Kestrel, on loopback: pipelining, floods, restarts under pressure, TLS and its reload.</summary>
public class KestrelServerTests
{
    private static readonly byte[] Secret = TestListener.SecretBytes;

    [Fact]
    public async Task Pipelined_requests_on_one_connection_are_all_answered_in_order()
    {
        await using var t = TestListener.Start(new SeededProjects());
        var sb = new StringBuilder();
        for (var i = 0; i < 3; i++)
        {
            var body = Payloads.GitHubPing();
            var h = Payloads.GitHubHeaders(body, Secret, "ping", delivery: "pipe-" + i);
            sb.Append($"POST /webhook HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: ping\r\nX-GitHub-Delivery: pipe-{i}\r\n" +
                      $"X-Hub-Signature-256: {h["X-Hub-Signature-256"]}\r\nContent-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}");
        }
        sb.Append("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, t.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.UTF8.GetBytes(sb.ToString())); // all four in one write

        var text = new StringBuilder();
        var buffer = new byte[8192];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (CountOf(text.ToString(), "HTTP/1.1 ") < 4 || !text.ToString().EndsWith("{\"outcome\":\"ok\"}"))
        {
            var n = await stream.ReadAsync(buffer, cts.Token);
            if (n == 0) break;
            text.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }
        var s = text.ToString();
        Assert.Equal(4, CountOf(s, "HTTP/1.1 200"));
        Assert.True(s.IndexOf("pipe-0", StringComparison.Ordinal) < s.IndexOf("pipe-1", StringComparison.Ordinal) &&
                    s.IndexOf("pipe-1", StringComparison.Ordinal) < s.IndexOf("pipe-2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Any_Host_header_is_served_and_a_request_Kestrel_rejects_is_logged()
    {
        await using var t = TestListener.Start(new SeededProjects());
        // Behind a proxy the Host is the public name: served as it is.
        using var ok = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{t.Port}/healthz");
        ok.Headers.Host = "deploy.example.com";
        Assert.Equal(HttpStatusCode.OK, (await t.Http.SendAsync(ok)).StatusCode);

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, t.Port);
        var stream = client.GetStream();
        await stream.WriteAsync("GET /healthz HTTP/1.1\r\nHost: bad host/\\x\r\n\r\n"u8.ToArray());
        var buffer = new byte[1024];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var n = await stream.ReadAsync(buffer, cts.Token);
        Assert.StartsWith("HTTP/1.1 400", Encoding.ASCII.GetString(buffer, 0, n));
        await t.WaitForLogAsync(l => l.StartsWith("http rejected"));
    }

    [Fact]
    public async Task During_a_flood_of_large_unsigned_bodies_and_slow_clients_healthz_and_signed_deliveries_are_served()
    {
        await using var t = TestListener.Start(new SeededProjects().Add("app", "https://github.com/org/app"), o => o with { BodyTimeout = TimeSpan.FromSeconds(30) });
        var flood = new List<TcpClient>();
        try
        {
            // 24 declared 20 MB bodies (more than the large share holds) and 60 slow small ones, all trickling.
            for (var i = 0; i < 84; i++)
            {
                var c = new TcpClient();
                await c.ConnectAsync(IPAddress.Loopback, t.Port);
                var length = i < 24 ? 20 * 1024 * 1024 : 3000;
                await c.GetStream().WriteAsync(Encoding.ASCII.GetBytes($"POST /webhook HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: push\r\nContent-Length: {length}\r\n\r\n{{\"a\":"));
                flood.Add(c);
            }
            var until = DateTime.UtcNow.AddSeconds(10);
            while (t.Listener.RequestsInFlight + t.Listener.Unverified < 84 && DateTime.UtcNow < until) await Task.Delay(20);

            Assert.Equal(HttpStatusCode.OK, (await t.Http.GetAsync($"http://127.0.0.1:{t.Port}/healthz")).StatusCode);
            var body = Payloads.GitHubPush();
            var (status, _) = await t.PostAsync(body, Payloads.GitHubHeaders(body, Secret, delivery: "during-flood"));
            Assert.Equal(HttpStatusCode.Accepted, status);
            // Bodies beyond the budget were refused before being read.
            Assert.True(t.Listener.Unverified >= 24 - 3, $"unverified={t.Listener.Unverified}");
            await t.WaitForLogAsync(l => l.Contains("status=503") && l.Contains("too_many_bodies"));
        }
        finally
        {
            foreach (var c in flood) c.Dispose();
        }
    }

    [Fact]
    public async Task Thirty_starts_under_connection_pressure_all_come_up()
    {
        var dir = Path.Combine(Path.GetTempPath(), "cicdops-restart-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var port = TestListener.FreePort();
        using var pressure = new CancellationTokenSource();
        // Clients connecting (and sending half a request) all the time, as during a restart of a busy service.
        var clients = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!pressure.IsCancellationRequested)
            {
                try
                {
                    using var c = new TcpClient();
                    await c.ConnectAsync(IPAddress.Loopback, port, pressure.Token);
                    await c.GetStream().WriteAsync("POST /webhook HTTP/1.1\r\nHost: x\r\n"u8.ToArray(), pressure.Token);
                }
                catch (Exception) { await Task.Delay(1); }
            }
        })).ToArray();
        var up = 0;
        var engine = CicdOps.Engine.CicdEngine.Open(new CicdOps.Engine.EngineOptions { DataPath = dir });
        try
        {
            for (var i = 0; i < 30; i++)
            {
                var options = new ListenerOptions { Port = port, BindAddress = "127.0.0.1", Secret = Secret, Log = _ => { } };
                await using var listener = engine.CreateWebhookListener(options, new KestrelHttpServer(options));
                await listener.StartAsync();
                using var http = new HttpClient();
                if ((await http.GetAsync($"http://127.0.0.1:{port}/healthz")).StatusCode == HttpStatusCode.OK) up++;
            }
        }
        finally
        {
            pressure.Cancel();
            await Task.WhenAll(clients);
            engine.Dispose();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, true);
        }
        Assert.Equal(30, up);
    }

    [Fact]
    public async Task TLS_serves_the_PEM_certificate_and_a_renewal_applies_without_a_restart()
    {
        var dir = Path.Combine(Path.GetTempPath(), "cicdops-tls-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var (certFile, keyFile) = (Path.Combine(dir, "fullchain.pem"), Path.Combine(dir, "privkey.pem"));
            var first = WritePem(certFile, keyFile, "CN=first.test");
            await using var t = TestListener.Start(new SeededProjects(), o => o with { TlsCertificateFile = certFile, TlsKeyFile = keyFile });
            Assert.Equal(first, await ServedThumbprintAsync(t.Port));
            await t.WaitForLogAsync(l => l.StartsWith("listener started") && l.Contains("tls=yes"));

            // certbot renews: new files in place; the next handshake (after the 1 s check interval) gets the new one.
            var second = WritePem(certFile, keyFile, "CN=second.test");
            await Task.Delay(1200);
            Assert.Equal(second, await ServedThumbprintAsync(t.Port));
            await t.WaitForLogAsync(l => l.StartsWith("tls certificate reloaded") && l.Contains("second.test"));

            // A half-written renewal keeps the certificate in use.
            File.WriteAllText(keyFile, "-----BEGIN PRIVATE KEY-----\ntruncated");
            await Task.Delay(1200);
            Assert.Equal(second, await ServedThumbprintAsync(t.Port));
            await t.WaitForLogAsync(l => l.StartsWith("tls certificate reload-failed"));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>Writes a new self-signed certificate and key as PEM; returns its thumbprint.</summary>
    private static string WritePem(string certFile, string keyFile, string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        using var cert = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(certFile, cert.ExportCertificatePem());
        return cert.Thumbprint;
    }

    private static async Task<string> ServedThumbprintAsync(int port)
    {
        string? seen = null;
        using var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, cert, _, _) => { seen = cert is null ? null : new X509Certificate2(cert).Thumbprint; return true; },
            },
        };
        using var http = new HttpClient(handler);
        var r = await http.GetAsync($"https://127.0.0.1:{port}/healthz");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        return seen!;
    }

    private static int CountOf(string s, string what)
    {
        var n = 0;
        for (var i = s.IndexOf(what, StringComparison.Ordinal); i >= 0; i = s.IndexOf(what, i + 1, StringComparison.Ordinal)) n++;
        return n;
    }
}
