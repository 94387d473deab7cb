using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace CicdOps.Engine.Notifications;

/// <summary>
/// Certificate checks for a channel: the system's trust by default; with a CA file, a chain to one of its
/// certificates (a private CA or a self-signed server). The host name must match either way.
/// </summary>
internal static class ChannelTrust
{
    public static RemoteCertificateValidationCallback? For(string? caFile)
    {
        if (caFile is null) return null;
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(caFile);
        return (_, cert, _, errors) =>
        {
            if (cert is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0 || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
                return false;
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(roots);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            using var leaf = new X509Certificate2(cert);
            return chain.Build(leaf);
        };
    }
}
