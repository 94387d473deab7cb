using System.Buffers;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MimeKit;
using SmtpServer;
using SmtpServer.Authentication;
using SmtpServer.ComponentModel;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace CicdOps.Tests.Notifications;

/// <summary>A mail as the SMTP server received it, with whether the session was encrypted and who logged in.</summary>
public sealed record ReceivedMail(MimeMessage Message, bool Secure, string? User);

/// <summary>
/// A real SMTP server on loopback (the SmtpServer package, in-process) with a self-signed certificate for 127.0.0.1
/// offered through STARTTLS, and a user/password it requires (only over TLS). <see cref="CertificatePemPath"/> is
/// what a channel trusts with --ca-file.
/// </summary>
public sealed class SmtpReceiver : IDisposable
{
    public const string User = "notifier";
    public const string Password = "smtp-pa55word-xyz";
    private readonly SmtpServer.SmtpServer _server;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<ReceivedMail> _mails = new();
    private readonly Task _running;

    /// <param name="tls">False: a server that offers no STARTTLS at all.</param>
    public SmtpReceiver(string directory, bool tls = true)
    {
        Port = Support.FreePort.Next();
        using var key = RSA.Create(2048);
        var req = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        req.CertificateExtensions.Add(san.Build());
        using var cert = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var serverCert = X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pfx), null);
        CertificatePemPath = Path.Combine(directory, "smtp-cert.pem");
        File.WriteAllText(CertificatePemPath, cert.ExportCertificatePem());

        var options = new SmtpServerOptionsBuilder()
            .ServerName("localhost")
            .Endpoint(b =>
            {
                b.Endpoint(new IPEndPoint(IPAddress.Loopback, Port)).AuthenticationRequired(tls).AllowUnsecureAuthentication(false);
                if (tls) b.Certificate(serverCert);
            })
            .Build();
        var services = new ServiceProvider();
        services.Add(new Store(this));
        services.Add(new DelegatingUserAuthenticator((_, user, password) => user == User && password == Password));
        _server = new SmtpServer.SmtpServer(options, services);
        _running = _server.StartAsync(_stop.Token);
    }

    public int Port { get; }
    public string CertificatePemPath { get; }

    public IReadOnlyList<ReceivedMail> Mails { get { lock (_mails) return _mails.ToList(); } }

    public IReadOnlyList<ReceivedMail> WaitFor(int count)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (Mails.Count < count)
        {
            if (DateTime.UtcNow > until) Assert.Fail($"the SMTP server got {Mails.Count} mail(s), expected {count}");
            Thread.Sleep(50);
        }
        return Mails;
    }

    private sealed class Store(SmtpReceiver owner) : MessageStore
    {
        public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken ct)
        {
            using var stream = new MemoryStream(buffer.ToArray());
            var message = await MimeMessage.LoadAsync(stream, ct);
            lock (owner._mails) owner._mails.Add(new ReceivedMail(message, context.Pipe.IsSecure, context.Authentication.IsAuthenticated ? context.Authentication.User : null));
            return SmtpResponse.Ok;
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _server.Shutdown();
        try { _running.Wait(TimeSpan.FromSeconds(5)); } catch (Exception) { }
    }
}
