using CicdOps.Engine;
using CicdOps.Engine.Notifications;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Notifications;

/// <summary>Email through MailKit to a real SMTP server on loopback (SmtpServer package, in-process) with STARTTLS and a self-signed certificate.</summary>
public sealed class EmailNotificationTests
{
    private static NotificationChannelSpec Email(SmtpReceiver smtp, string? caFile, SmtpSecurity? security = null, string? user = SmtpReceiver.User) => new()
    {
        Type = NotificationChannelType.Email, Url = $"smtp://127.0.0.1:{smtp.Port}", From = "cicdops@example.com", To = ["ops@example.com", "dev@example.com"],
        SmtpUser = user, SmtpPassword = user is null ? null : SmtpReceiver.Password, CaFile = caFile, SmtpSecurity = security,
    };

    [Fact]
    public void A_mail_goes_over_STARTTLS_with_login_and_says_what_where_why_and_how_to_look()
    {
        using var tmp = new TempDirectory();
        using var smtp = new SmtpReceiver(tmp.Path);
        using var h = new EngineHarness();
        var ch = h.Engine.AddNotificationChannel("mail", Email(smtp, smtp.CertificatePemPath));
        Assert.Equal($"smtp://127.0.0.1:{smtp.Port} → ops@example.com, dev@example.com", ch.Target);
        h.Enqueue(new NotificationEvent(NotificationEventKind.DeploymentRolledBack)
        {
            Project = "shop", Commit = new string('b', 40), Repository = "https://github.com/acme/shop.git", Reason = "health.sh exited 1: 502 from upstream",
            Subject = "7", Command = "cicdops logs shop --deployment 7",
        });
        h.Pass();

        var mail = smtp.WaitFor(1).Single();
        Assert.True(mail.Secure, "the session was not encrypted");
        Assert.Equal(SmtpReceiver.User, mail.User);
        Assert.Equal($"[cicdops] shop: deployment rolled back on {Environment.MachineName}", mail.Message.Subject);
        Assert.Equal(["ops@example.com", "dev@example.com"], mail.Message.To.Mailboxes.Select(m => m.Address).ToArray());
        Assert.Equal("cicdops@example.com", mail.Message.From.Mailboxes.Single().Address);
        var text = mail.Message.TextBody;
        Assert.Contains($"Where: node {Environment.MachineName}, project shop, deployment 7, commit bbbbbbb (https://github.com/acme/shop/commit/{new string('b', 40)})", text);
        Assert.Contains("Why: health.sh exited 1: 502 from upstream", text);
        Assert.Contains("Look: cicdops logs shop --deployment 7", text);
        Assert.Equal(NotificationDeliveryStatus.Sent, h.Engine.GetNotificationHistory("mail").Single().Status);
    }

    [Fact]
    public void A_certificate_nobody_trusts_stops_the_mail_before_the_password_is_sent()
    {
        using var tmp = new TempDirectory();
        using var smtp = new SmtpReceiver(tmp.Path);
        using var h = new EngineHarness();
        h.Engine.AddNotificationChannel("mail", Email(smtp, caFile: null));
        var result = h.Engine.TestNotificationChannelAsync("mail").GetAwaiter().GetResult();
        Assert.False(result.Success);
        Assert.Contains("certificate", result.Answer, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(SmtpReceiver.Password, result.Answer);
        Assert.Empty(smtp.Mails);
    }

    [Fact]
    public void A_server_that_offers_no_STARTTLS_gets_nothing_rather_than_a_clear_text_fallback()
    {
        using var tmp = new TempDirectory();
        using var smtp = new SmtpReceiver(tmp.Path, tls: false);
        using var h = new EngineHarness();
        h.Engine.AddNotificationChannel("mail", Email(smtp, smtp.CertificatePemPath, user: null));
        var result = h.Engine.TestNotificationChannelAsync("mail").GetAwaiter().GetResult();
        Assert.False(result.Success);
        Assert.Contains("STARTTLS", result.Answer, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(smtp.Mails);
    }

    [Fact]
    public void A_password_is_never_allowed_to_cross_the_network_in_clear()
    {
        using var h = new EngineHarness();
        var e = Assert.Throws<CicdException>(() => h.Engine.AddNotificationChannel("mail", new NotificationChannelSpec
        {
            Type = NotificationChannelType.Email, Url = "smtp://mail.example.com:25", SmtpSecurity = SmtpSecurity.None,
            From = "a@example.com", To = ["b@example.com"], SmtpUser = "u", SmtpPassword = "secret-pass",
        }));
        Assert.Contains("in clear", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Empty(h.Engine.GetNotificationChannels());
    }
}
