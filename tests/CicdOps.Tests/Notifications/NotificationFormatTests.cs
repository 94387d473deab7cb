using System.Text;
using System.Text.Json;
using CicdOps.Engine.Notifications;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Notifications;

/// <summary>Each channel type's body, as a real HTTP receiver on loopback gets it from the sender.</summary>
public sealed class NotificationFormatTests
{
    private static NotificationEvent Failed => new(NotificationEventKind.DeploymentFailed)
    {
        Project = "shop", Commit = "3f2a9c1d0e5b7a8c9d0e1f2a3b4c5d6e7f8a9b0c", Repository = "git@github.com:acme/shop.git",
        Reason = "health check failed: exit 1 <b>@everyone</b>", Subject = "42", Command = "cicdops logs shop --deployment 42",
    };

    [Fact]
    public void The_generic_webhook_is_signed_with_HMAC_over_timestamp_and_body_and_carries_what_where_why_and_how()
    {
        using var h = new EngineHarness();
        using var r = new HttpReceiver();
        h.AddHttp("hooks", NotificationChannelType.Webhook, r);
        h.Enqueue(Failed);
        h.Pass();

        var req = r.WaitFor(1).Single();
        Assert.Equal("/hook/hooks/T0KEN-abcdef123456", req.Path);
        var ts = req.Header(WebhookSigning.TimestampHeader);
        var sig = req.Header(WebhookSigning.SignatureHeader);
        // Verified independently of the engine's code: HMAC-SHA256(secret, "TIMESTAMP.BODY").
        var expected = "sha256=" + Convert.ToHexString(System.Security.Cryptography.HMACSHA256.HashData(
            Encoding.UTF8.GetBytes(NotificationTestKit.SigningSecret), Encoding.UTF8.GetBytes(ts + ".").Concat(req.Body).ToArray())).ToLowerInvariant();
        Assert.Equal(expected, sig);
        Assert.True(WebhookSigning.Verify(NotificationTestKit.SigningSecret, ts, sig, req.Body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
        // A replay later than the tolerance, or a body changed by one byte, does not verify.
        Assert.False(WebhookSigning.Verify(NotificationTestKit.SigningSecret, ts, sig, req.Body, DateTimeOffset.UtcNow.AddMinutes(10), TimeSpan.FromMinutes(5)));
        var tampered = req.Body.ToArray();
        tampered[^2] ^= 1;
        Assert.False(WebhookSigning.Verify(NotificationTestKit.SigningSecret, ts, sig, tampered, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
        Assert.Equal("deployment-failed", req.Header(WebhookSigning.EventHeader));

        using var doc = JsonDocument.Parse(req.Body);
        var b = doc.RootElement;
        Assert.Equal(1, b.GetProperty("version").GetInt32());
        Assert.Equal("deployment-failed", b.GetProperty("event").GetString());
        Assert.Equal("shop", b.GetProperty("project").GetString());
        Assert.Equal(Environment.MachineName, b.GetProperty("node").GetString());
        Assert.Equal(Failed.Commit, b.GetProperty("commit").GetString());
        Assert.Equal("https://github.com/acme/shop/commit/" + Failed.Commit, b.GetProperty("commitUrl").GetString());
        Assert.Equal(Failed.Reason, b.GetProperty("reason").GetString());
        Assert.Equal("cicdops logs shop --deployment 42", b.GetProperty("command").GetString());
        Assert.Contains("commit 3f2a9c1", b.GetProperty("text").GetString());
        Assert.Equal(req.Header(WebhookSigning.DeliveryHeader), b.GetProperty("id").GetString());
    }

    [Fact]
    public void Slack_Discord_and_Teams_get_their_own_formats_with_the_text_escaped_and_nobody_pinged()
    {
        using var h = new EngineHarness();
        using var r = new HttpReceiver();
        h.AddHttp("slack", NotificationChannelType.Slack, r);
        h.AddHttp("discord", NotificationChannelType.Discord, r);
        h.AddHttp("teams", NotificationChannelType.Teams, r);
        h.Enqueue(Failed);
        h.Pass();

        var all = r.WaitFor(3);
        JsonElement Body(string channel) => JsonDocument.Parse(all.Single(x => x.Path.Contains("/" + channel + "/")).Body).RootElement;

        var slack = Body("slack").GetProperty("text").GetString()!;
        Assert.Contains("*shop: deployment failed on " + Environment.MachineName + "*", slack);
        Assert.Contains("&lt;b&gt;@everyone&lt;/b&gt;", slack);
        Assert.Contains("Look: cicdops logs shop --deployment 42", slack);

        var discord = Body("discord");
        Assert.Contains("**shop: deployment failed on", discord.GetProperty("content").GetString());
        Assert.Equal(0, discord.GetProperty("allowed_mentions").GetProperty("parse").GetArrayLength());

        var teams = Body("teams");
        Assert.Equal("message", teams.GetProperty("type").GetString());
        var card = teams.GetProperty("attachments")[0];
        Assert.Equal("application/vnd.microsoft.card.adaptive", card.GetProperty("contentType").GetString());
        var texts = card.GetProperty("content").GetProperty("body").EnumerateArray().Select(e => e.GetProperty("text").GetString()).ToList();
        Assert.Contains(texts, t => t!.Contains("shop: deployment failed"));
        Assert.Contains(texts, t => t!.StartsWith("Where: ") && t.Contains("https://github.com/acme/shop/commit/"));
        Assert.Contains(texts, t => t!.StartsWith("Why: health check failed"));
        Assert.DoesNotContain(r.Requests, x => x.Header(WebhookSigning.SignatureHeader) is not null); // only the generic webhook is signed
    }

    [Fact]
    public void A_test_message_reports_the_channels_answer_success_or_refusal()
    {
        using var h = new EngineHarness();
        using var r = new HttpReceiver();
        h.AddHttp("slack", NotificationChannelType.Slack, r);
        var ok = h.Engine.TestNotificationChannelAsync("slack").GetAwaiter().GetResult();
        Assert.True(ok.Success, ok.Answer);
        Assert.Equal("HTTP 200 OK", ok.Answer);
        Assert.Contains("test message", JsonDocument.Parse(r.WaitFor(1)[0].Body).RootElement.GetProperty("text").GetString());

        r.Script.Enqueue((404, "no_service"));
        var refused = h.Engine.TestNotificationChannelAsync("slack").GetAwaiter().GetResult();
        Assert.False(refused.Success);
        Assert.Equal("HTTP 404 Not Found: no_service", refused.Answer);
        // A test is not an event: nothing was queued or recorded.
        Assert.Equal(0, h.Count("SELECT COUNT(*) FROM notification_outbox"));
    }

    [Theory]
    [InlineData("git@github.com:acme/shop.git", "https://github.com/acme/shop/commit/")]
    [InlineData("https://***@gitlab.com/group/sub/app.git", "https://gitlab.com/group/sub/app/-/commit/")]
    [InlineData("https://bitbucket.org/team/repo", "https://bitbucket.org/team/repo/commits/")]
    [InlineData("ssh://git@codeberg.org/me/tool.git", "https://codeberg.org/me/tool/commit/")]
    [InlineData("file:///srv/git/app.git", null)]
    [InlineData("/srv/git/app.git", null)]
    [InlineData("https://git.example.com/a/b.git", null)]
    public void The_forge_link_is_made_only_for_known_layouts_and_never_carries_credentials(string repo, string? prefix)
    {
        var sha = new string('a', 40);
        var link = ForgeLinks.Commit(repo, sha);
        Assert.Equal(prefix is null ? null : prefix + sha, link);
    }
}
