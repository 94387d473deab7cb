using System.Security.Cryptography;
using System.Text;

namespace CicdOps.Engine.Webhooks;

public enum SignatureResult
{
    /// <summary>The signature (or token) matches the secret.</summary>
    Valid,
    /// <summary>A secret is configured but the request carries no signature.</summary>
    Missing,
    /// <summary>A signature is present but wrong, truncated, malformed or of a refused algorithm.</summary>
    Invalid,
    /// <summary>No secret is configured, so nothing could be checked.</summary>
    Unsigned,
}

/// <summary>
/// Checks a delivery's signature against a secret the way its provider signs: HMAC-SHA256 of the raw body
/// (GitHub/Bitbucket "sha256=hex", Gitea/Forgejo bare hex) or GitLab's shared token. Every comparison is
/// constant-time on bytes, so timing reveals nothing about the expected value.
/// </summary>
public static class SignatureVerifier
{
    public static SignatureResult Verify(WebhookProvider provider, string? signature, ReadOnlySpan<byte> body, byte[]? secret)
    {
        if (secret is null || secret.Length == 0) return SignatureResult.Unsigned;
        if (string.IsNullOrEmpty(signature)) return SignatureResult.Missing;
        return provider switch
        {
            WebhookProvider.GitLab => TokenMatches(signature, secret) ? SignatureResult.Valid : SignatureResult.Invalid,
            WebhookProvider.Gitea or WebhookProvider.Forgejo => HmacMatches(signature, body, secret),
            // GitHub's and Bitbucket's header carries the algorithm as a prefix; only SHA-256 is accepted
            // (GitHub's legacy "sha1=" X-Hub-Signature is refused as too weak).
            _ => signature.StartsWith("sha256=", StringComparison.OrdinalIgnoreCase)
                ? HmacMatches(signature.AsSpan(7).ToString(), body, secret)
                : SignatureResult.Invalid,
        };
    }

    /// <summary>The "sha256=hex" value GitHub would send for <paramref name="body"/> (used by tests and the benchmark).</summary>
    public static string GitHubSignature(ReadOnlySpan<byte> body, byte[] secret) =>
        "sha256=" + Convert.ToHexString(HMACSHA256.HashData(secret, body)).ToLowerInvariant();

    private static SignatureResult HmacMatches(string hex, ReadOnlySpan<byte> body, byte[] secret)
    {
        Span<byte> given = stackalloc byte[32];
        // A wrong length (truncated, padded) or a non-hex character is simply a bad signature.
        if (!TryParseHex(hex, given)) return SignatureResult.Invalid;
        Span<byte> expected = stackalloc byte[32];
        HMACSHA256.HashData(secret, body, expected);
        return CryptographicOperations.FixedTimeEquals(given, expected) ? SignatureResult.Valid : SignatureResult.Invalid;
    }

    // Parses exactly destination.Length bytes of hex; anything else (truncated, padded, non-hex) fails.
    private static bool TryParseHex(string hex, Span<byte> destination)
    {
        if (hex.Length != destination.Length * 2) return false;
        for (var i = 0; i < destination.Length; i++)
        {
            var hi = HexValue(hex[2 * i]);
            var lo = HexValue(hex[2 * i + 1]);
            if ((hi | lo) < 0) return false;
            destination[i] = (byte)(hi << 4 | lo);
        }
        return true;
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    private static bool TokenMatches(string token, byte[] secret)
    {
        // Hash both sides first so the comparison takes the same time whatever the token's length.
        Span<byte> a = stackalloc byte[32];
        Span<byte> b = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(token), a);
        SHA256.HashData(secret, b);
        return CryptographicOperations.FixedTimeEquals(a, b);
    }
}
