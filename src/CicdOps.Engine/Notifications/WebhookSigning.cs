using System.Security.Cryptography;
using System.Text;

namespace CicdOps.Engine.Notifications;

/// <summary>
/// The generic webhook's signature: X-Cicd-Signature = "sha256=" + hex(HMAC-SHA256(secret, TIMESTAMP + "." + BODY)),
/// TIMESTAMP being X-Cicd-Timestamp (Unix seconds). Signing the timestamp with the body lets a receiver refuse a
/// replayed request: it checks the signature (constant time) and that the timestamp is within a few minutes of now.
/// </summary>
public static class WebhookSigning
{
    public const string TimestampHeader = "X-Cicd-Timestamp";
    public const string SignatureHeader = "X-Cicd-Signature";
    public const string EventHeader = "X-Cicd-Event";
    public const string DeliveryHeader = "X-Cicd-Delivery";

    public static string Sign(string secret, long timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".");
        var data = new byte[prefix.Length + body.Length];
        prefix.CopyTo(data, 0);
        body.CopyTo(data.AsSpan(prefix.Length));
        return "sha256=" + Convert.ToHexString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), data)).ToLowerInvariant();
    }

    /// <summary>What a receiver does: the signature matches (constant time) and the timestamp is within <paramref name="tolerance"/>.</summary>
    public static bool Verify(string secret, string? timestampHeader, string? signatureHeader, ReadOnlySpan<byte> body, DateTimeOffset now, TimeSpan tolerance)
    {
        if (!long.TryParse(timestampHeader, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ts)) return false;
        if (Math.Abs(now.ToUnixTimeSeconds() - ts) > tolerance.TotalSeconds) return false;
        if (signatureHeader is null) return false;
        var expected = Encoding.ASCII.GetBytes(Sign(secret, ts, body));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(signatureHeader));
    }
}
