using System.Net;
using CicdOps.Engine.State;
using CicdOps.Engine.Webhooks;
using CicdOps.Tests.Webhooks;
using Xunit;

namespace CicdOps.Tests.Listener;

/// <summary>What a flood leaves behind: unverified requests are counted, never stored one row each.</summary>
public class BoundedStateTests
{
    [Fact]
    public async Task Unauthenticated_posts_are_counted_not_stored()
    {
        await using var t = TestListener.Start(new SeededProjects().Add("app", "https://github.com/org/app"));
        var body = Payloads.GitHubPush();
        var forged = Enumerable.Range(0, 400).Select(i => Payloads.GitHubHeaders(body, "guess"u8.ToArray(), delivery: "forged-" + i)).ToList();
        foreach (var chunk in forged.Chunk(16))
            foreach (var (status, _) in await Task.WhenAll(chunk.Select(h => t.PostAsync(body, h))))
                Assert.Equal(HttpStatusCode.Unauthorized, status);
        var (unknown, _) = await t.PostAsync("{}", new Dictionary<string, string> { ["X-Nothing"] = "x" });
        Assert.Equal(HttpStatusCode.Unauthorized, unknown);
        var genuine = Payloads.GitHubHeaders(body, TestListener.SecretBytes, delivery: "genuine");
        Assert.Equal(HttpStatusCode.Accepted, (await t.PostAsync(body, genuine)).Status);

        Assert.Equal(401, t.Listener.Unverified);
        await t.Listener.DisposeAsync(); // stops and flushes the counts
        var counts = ReopenCounts(t.DataPath);
        Assert.Equal(400, counts.Single(c => c.Provider == "github" && c.StatusCode == 401).Count);
        Assert.Equal(1, counts.Single(c => c.Provider == "-" && c.StatusCode == 401).Count);
        Assert.Equal(new[] { "genuine" }, ReopenList(t.DataPath).Select(d => d.DeliveryId));
    }

    private static IReadOnlyList<UnverifiedCount> ReopenCounts(string dir) => new WebhookDeliveryStore(new Database(dir)).UnverifiedCounts();
    private static IReadOnlyList<CicdOps.WebhookDelivery> ReopenList(string dir) => new WebhookDeliveryStore(new Database(dir)).List(1000);
}
