using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CicdOps.Tests.Webhooks;
using Xunit;

namespace CicdOps.Tests.Listener;

/// <summary>Verify before anything else: an unauthenticated request learns nothing but 401.</summary>
public class RequestPathSecurityTests
{
    private const string Generic401 = "{\"outcome\":\"rejected\",\"reason\":\"signature verification failed\"}";
    private static readonly byte[] Secret = TestListener.SecretBytes;
    private static readonly byte[] GitLabToken = Encoding.UTF8.GetBytes(TestListener.GitLabToken);

    /// <summary>Headers of <paramref name="provider"/> for <paramref name="body"/>, signed with the right secret or not.</summary>
    private static Dictionary<string, string> Headers(string provider, string body, bool genuine, string delivery) => provider switch
    {
        "github" => Payloads.GitHubHeaders(body, genuine ? Secret : "guess"u8.ToArray(), delivery: delivery),
        "gitlab" => Payloads.GitLabHeaders(genuine ? TestListener.GitLabToken : "guess", delivery: delivery),
        "gitea" => Payloads.GiteaHeaders(body, genuine ? Secret : "guess"u8.ToArray(), delivery: delivery),
        "forgejo" => Payloads.GiteaHeaders(body, genuine ? Secret : "guess"u8.ToArray(), forgejo: true, delivery: delivery),
        "bitbucket" => Payloads.BitbucketHeaders(body, genuine ? Secret : "guess"u8.ToArray(), delivery: delivery),
        _ => throw new ArgumentOutOfRangeException(nameof(provider)),
    };

    [Theory]
    [InlineData("github")]
    [InlineData("gitlab")]
    [InlineData("gitea")]
    [InlineData("forgejo")]
    [InlineData("bitbucket")]
    public async Task Before_the_signature_holds_every_failure_is_the_same_401_for_each_provider(string provider)
    {
        await using var t = TestListener.Start(new SeededProjects().Add("app", "https://github.com/org/app"));
        // On /webhook, and addressed by URL to a project that exists or not: the answer must not tell them apart either.
        foreach (var path in new[] { "/webhook", "/webhook/app", "/webhook/nosuch" })
        foreach (var body in new[] { "{\"ref\": ", "[]", "{\"ref\":\"refs/heads/main\"}", Payloads.GitHubPush(repo: "nobody"), Payloads.GitHubPush() })
        {
            var (status, text) = await t.PostAsync(body, Headers(provider, body, genuine: false, delivery: "echo-me"), path: path);
            Assert.Equal(HttpStatusCode.Unauthorized, status);
            Assert.Equal(Generic401, text); // no parse error, no "no repository", no delivery id
        }
        // A genuine signature to a project that does not exist is the same 401.
        var genuineBody = Payloads.GitHubPush();
        Assert.Equal((HttpStatusCode.Unauthorized, Generic401), await t.PostAsync(genuineBody, Headers(provider, genuineBody, genuine: true, delivery: "d"), path: "/webhook/nosuch"));
        // The same unreadable body from a verified sender is told why, on either path.
        foreach (var path in new[] { "/webhook", "/webhook/app" })
        {
            var (verified, reason) = await t.PostAsync("{\"ref\": ", Headers(provider, "{\"ref\": ", genuine: true, delivery: "told" + path.Length), path: path);
            Assert.Equal(HttpStatusCode.BadRequest, verified);
            Assert.Contains("told" + path.Length, reason);
        }
        Assert.Empty(t.Requests);
        // Nothing unverified was stored row by row: only the verified senders' rejected deliveries are.
        Assert.All(t.Store.List(), d => Assert.StartsWith("told", d.DeliveryId));
    }

    [Theory]
    [InlineData("X-GitHub-Event: push", "X-Hub-Signature-256", true)]
    [InlineData("X-Gitlab-Event: Push Hook", "X-Gitlab-Token", false)]
    public async Task Two_signature_headers_of_one_kind_are_401_even_when_both_are_right(string eventHeader, string signatureHeader, bool hmac)
    {
        await using var t = TestListener.Start(new SeededProjects().Add("app", "https://github.com/org/app"));
        var body = Payloads.GitHubPush();
        var value = hmac ? Payloads.GitHubHeaders(body, Secret)["X-Hub-Signature-256"] : TestListener.GitLabToken;
        var bytes = Encoding.UTF8.GetBytes(body);
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, t.Port);
        var stream = client.GetStream();
        var head = $"POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\n{eventHeader}\r\n{signatureHeader}: {value}\r\n{signatureHeader}: {value}\r\n" +
                   $"Content-Type: application/json\r\nContent-Length: {bytes.Length}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(bytes);
        var response = await ReadAllAsync(stream);
        Assert.StartsWith("HTTP/1.1 401", response);
        await t.WaitForLogAsync(l => l.Contains("status=401") && l.Contains("sent_more_than_once"));
        Assert.Empty(t.Requests);
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task Invalid_UTF8_after_verification_is_400_never_500(string contentType)
    {
        await using var t = TestListener.Start(new SeededProjects().Add("app", "https://github.com/org/app"));
        var json = Encoding.UTF8.GetBytes(Payloads.GitHubPush());
        // A lone 0xFF inside the commit message: not UTF-8.
        var at = Array.IndexOf(json, (byte)'$');
        var body = contentType == "application/json"
            ? [.. json[..at], 0xFF, 0xFE, .. json[at..]]
            : Encoding.ASCII.GetBytes("payload=%FF%FE").Concat(Encoding.ASCII.GetBytes(WebUtility.UrlEncode(Payloads.GitHubPush()))).ToArray();
        var sig = "sha256=" + Convert.ToHexString(HMACSHA256.HashData(Secret, body)).ToLowerInvariant();
        var headers = new Dictionary<string, string> { ["X-GitHub-Event"] = "push", ["X-GitHub-Delivery"] = "utf8-" + contentType.Length, ["X-Hub-Signature-256"] = sig };
        var (status, text) = await t.PostBytesAsync(body, headers, contentType);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var reason = JsonDocument.Parse(text).RootElement.GetProperty("reason").GetString()!;
        Assert.Contains("not valid UTF-8", reason);
        Assert.DoesNotContain('\n', reason);
        Assert.Empty(t.Requests);
    }

    [Fact]
    public async Task A_delivery_addressed_by_URL_is_verified_with_that_projects_own_secret_only()
    {
        var appSecret = "app's own secret"u8.ToArray();
        await using var t = TestListener.Start(new SeededProjects().Add("app", "https://github.com/org/app").Add("web", "https://github.com/org/web"),
            o => o with { ProjectSecret = name => name == "app" ? appSecret : null });
        var body = Payloads.GitHubPush();

        var (ok, text) = await t.PostAsync(body, Payloads.GitHubHeaders(body, appSecret, delivery: "url-1"), path: "/webhook/app");
        Assert.Equal(HttpStatusCode.Accepted, ok);
        Assert.Equal("app:queued", JsonDocument.Parse(text).RootElement.GetProperty("projects")[0].GetProperty("project").GetString() + ":queued");
        // The global secret does not open a project that has its own.
        Assert.Equal(HttpStatusCode.Unauthorized, (await t.PostAsync(body, Payloads.GitHubHeaders(body, Secret, delivery: "url-2"), path: "/webhook/app")).Status);
        // An unknown project is the same 401: the URL does not reveal which projects exist.
        var (unknown, unknownText) = await t.PostAsync(body, Payloads.GitHubHeaders(body, Secret, delivery: "url-3"), path: "/webhook/nosuch");
        Assert.Equal((HttpStatusCode.Unauthorized, Generic401), (unknown, unknownText));
        // Another repository's push, genuinely signed for app: recorded, nothing deploys.
        var other = Payloads.GitHubPush(repo: "web");
        var (ignored, ignoredText) = await t.PostAsync(other, Payloads.GitHubHeaders(other, appSecret, delivery: "url-4"), path: "/webhook/app");
        Assert.Equal(HttpStatusCode.Accepted, ignored);
        Assert.Contains("another repository", ignoredText);
        Assert.Equal("app", Assert.Single(t.Requests).Project);
    }

    private static async Task<string> ReadAllAsync(NetworkStream stream)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[4096];
        var sb = new StringBuilder();
        try
        {
            while (!sb.ToString().Contains("\r\n\r\n"))
            {
                var n = await stream.ReadAsync(buffer, cts.Token);
                if (n == 0) break;
                sb.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }
        }
        catch (IOException) { }
        return sb.ToString();
    }
}
