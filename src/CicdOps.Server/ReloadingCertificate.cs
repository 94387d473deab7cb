using System.Security.Cryptography.X509Certificates;

namespace CicdOps.Server;

/// <summary>
/// The TLS certificate from a PEM certificate (chain) and key, re-read when either file changes (a certbot renewal):
/// handshakes check the files' times at most once a second, so a renewal applies without a restart. A renewal that
/// cannot be read keeps the certificate in use and says so once.
/// </summary>
internal sealed class ReloadingCertificate
{
    private static readonly long CheckIntervalMs = 1000;
    private readonly string _certFile, _keyFile;
    private readonly Action<string> _log;
    private readonly object _gate = new();
    private X509Certificate2 _current;
    private (DateTime, DateTime, long, long) _stamp;
    private long _checkedAt;
    private (DateTime, DateTime, long, long)? _failedStamp;

    public ReloadingCertificate(string certFile, string keyFile, Action<string> log)
    {
        (_certFile, _keyFile, _log) = (certFile, keyFile, log);
        _stamp = Stamp();
        _current = Load(certFile, keyFile);
        _checkedAt = Environment.TickCount64;
    }

    /// <summary>Loads a PEM pair; throws CicdException with a one-line reason when it cannot.</summary>
    public static X509Certificate2 Load(string certFile, string keyFile)
    {
        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(certFile, keyFile);
            // A certificate from PEM carries an ephemeral key; exporting and re-importing gives one SslStream can use everywhere.
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new CicdOps.Engine.CicdException(CicdOps.Engine.CicdError.InvalidArgument,
                $"Cannot load the TLS certificate '{certFile}' with key '{keyFile}': {e.Message}", certFile);
        }
    }

    public X509Certificate2 Current()
    {
        var now = Environment.TickCount64;
        if (now - Volatile.Read(ref _checkedAt) < CheckIntervalMs) return Volatile.Read(ref _current);
        lock (_gate)
        {
            _checkedAt = now;
            var stamp = Stamp();
            if (stamp == _stamp || stamp == _failedStamp) return _current;
            try
            {
                _current = Load(_certFile, _keyFile);
                _stamp = stamp;
                _failedStamp = null;
                _log($"tls certificate reloaded subject={CicdOps.Engine.Listener.ListenerLog.Clean(_current.Subject)} expires={_current.NotAfter.ToUniversalTime():yyyy-MM-ddTHH:mm:ssZ}");
            }
            catch (CicdOps.Engine.CicdException e)
            {
                // Half-written during a renewal, or broken: keep serving the old one; try again when the files change.
                _failedStamp = stamp;
                _log($"tls certificate reload-failed error={CicdOps.Engine.Listener.ListenerLog.Clean(e.Message)}");
            }
            return _current;
        }
    }

    private (DateTime, DateTime, long, long) Stamp()
    {
        var c = new FileInfo(_certFile);
        var k = new FileInfo(_keyFile);
        return (c.Exists ? c.LastWriteTimeUtc : default, k.Exists ? k.LastWriteTimeUtc : default, c.Exists ? c.Length : -1, k.Exists ? k.Length : -1);
    }
}
