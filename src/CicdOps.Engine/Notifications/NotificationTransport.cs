using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace CicdOps.Engine.Notifications;

/// <summary>A channel refused or could not take a message; the text is already masked.</summary>
internal sealed class NotificationSendException(string message) : Exception(message);

/// <summary>
/// Sends one message to one channel and returns the channel's answer ("HTTP 204", "250 2.0.0 Ok ..."). Every failure
/// is a <see cref="NotificationSendException"/> whose text never holds the channel's URL, token or password.
/// </summary>
internal static class NotificationTransport
{
    public static async Task<string> SendAsync(ChannelForSending ch, NotificationMessage m, long deliveryId, TimeSpan timeout, CancellationToken ct)
    {
        var masker = Secrets.SecretMasker.Create(ch.Secrets.Values().Where(v => v.Length >= Secrets.SecretMasker.MinimumLength));
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(timeout);
            try
            {
                return ch.Type == NotificationChannelType.Email
                    ? await SendEmailAsync(ch, m, cts.Token).ConfigureAwait(false)
                    : await PostAsync(ch, m, deliveryId, cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new NotificationSendException($"no answer within {timeout.TotalSeconds:0.#} s");
            }
        }
        catch (NotificationSendException e) { throw new NotificationSendException(masker.Mask(e.Message)); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var inner = e.InnerException is { } i && i.Message != e.Message ? ": " + i.Message : "";
            throw new NotificationSendException(masker.Mask(OneLine(e.Message + inner)));
        }
    }

    /// <summary>One line of at most 300 characters: control characters become spaces.</summary>
    internal static string OneLine(string text)
    {
        var chars = text.Select(c => char.IsControl(c) ? ' ' : c).ToArray();
        var s = new string(chars).Trim();
        return s.Length > 300 ? s[..300] + "…" : s;
    }

    private static async Task<string> PostAsync(ChannelForSending ch, NotificationMessage m, long deliveryId, CancellationToken ct)
    {
        using var handler = new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false };
        if (ChannelTrust.For(ch.Settings.CaFile) is { } check) handler.SslOptions.RemoteCertificateValidationCallback = check;
        using var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        var body = Encoding.UTF8.GetBytes(ChatPayloads.Build(ch.Type, m, deliveryId));
        using var request = new HttpRequestMessage(HttpMethod.Post, ch.Secrets.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.UserAgent.ParseAdd("cicdops-notify/1");
        if (ch.Type == NotificationChannelType.Webhook)
        {
            var ts = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            request.Headers.Add(WebhookSigning.TimestampHeader, ts.ToString(System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.Add(WebhookSigning.SignatureHeader, WebhookSigning.Sign(ch.Secrets.SigningSecret!, ts, body));
            request.Headers.Add(WebhookSigning.EventHeader, m.Kind.ToName());
            request.Headers.Add(WebhookSigning.DeliveryHeader, deliveryId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        var answer = $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}".TrimEnd();
        if (response.IsSuccessStatusCode) return answer;
        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        text = text.ReplaceLineEndings(" ").Trim();
        if (text.Length > 200) text = text[..200] + "…";
        throw new NotificationSendException(text.Length == 0 ? answer : $"{answer}: {text}");
    }

    private static async Task<string> SendEmailAsync(ChannelForSending ch, NotificationMessage m, CancellationToken ct)
    {
        var s = ch.Settings;
        var (host, port) = ChannelSpecCheck.HostPort(ch.Secrets.Url);
        var mail = new MimeMessage();
        mail.From.Add(MailboxAddress.Parse(s.From!));
        foreach (var to in s.To) mail.To.Add(MailboxAddress.Parse(to));
        mail.Subject = "[cicdops] " + NotificationText.Title(m);
        mail.Headers.Add("X-Cicd-Event", m.Kind.ToName());
        mail.Body = new TextPart("plain") { Text = NotificationText.PlainText(m) };

        using var smtp = new SmtpClient();
        if (ChannelTrust.For(s.CaFile) is { } check) smtp.ServerCertificateValidationCallback = check;
        var options = s.SmtpSecurity switch
        {
            SmtpSecurity.Tls => SecureSocketOptions.SslOnConnect,
            SmtpSecurity.None => SecureSocketOptions.None,
            _ => SecureSocketOptions.StartTls, // required: a server that does not offer STARTTLS is an error, never a fallback to clear text
        };
        await smtp.ConnectAsync(host, port, options, ct).ConfigureAwait(false);
        if (s.SmtpUser is not null) await smtp.AuthenticateAsync(s.SmtpUser, ch.Secrets.Password ?? "", ct).ConfigureAwait(false);
        var answer = await smtp.SendAsync(mail, ct).ConfigureAwait(false);
        await smtp.DisconnectAsync(true, ct).ConfigureAwait(false);
        return string.IsNullOrWhiteSpace(answer) ? "250 accepted" : answer.Trim();
    }
}
