using System.Security.Cryptography;

namespace CicdOps.Engine.Api;

/// <summary>
/// The bearer token's shape: <c>cicd_&lt;id&gt;_&lt;secret&gt;</c>, the secret 256 random bits in base64url. The id
/// only says which row to compare with; what is stored is SHA-256 of the secret, compared in constant time. A
/// fast hash is enough: the secret is random, not a password, so there is nothing to guess from the hash.
/// </summary>
public static class ApiTokenFormat
{
    public const string Prefix = "cicd_";

    public static string NewSecret() => Base64Url(RandomNumberGenerator.GetBytes(32));

    public static string Compose(long id, string secret) => $"{Prefix}{id}_{secret}";

    public static byte[] Hash(string secret) => SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(secret));

    /// <summary>Splits a presented token; false for anything not shaped like one (no lookup happens then).</summary>
    public static bool TryParse(string? token, out long id, out string secret)
    {
        id = 0; secret = "";
        if (token is null || !token.StartsWith(Prefix, StringComparison.Ordinal) || token.Length > 128) return false;
        var rest = token.AsSpan(Prefix.Length);
        var sep = rest.IndexOf('_');
        if (sep <= 0 || !long.TryParse(rest[..sep], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out id)) return false;
        secret = rest[(sep + 1)..].ToString();
        if (secret.Length != 43) return false;
        foreach (var ch in secret)
            if (!(char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_')) return false;
        return true;
    }

    /// <summary>Whether the presented secret's hash equals the stored one, in time independent of where they differ.</summary>
    public static bool Matches(string secret, byte[] storedHash) => CryptographicOperations.FixedTimeEquals(Hash(secret), storedHash);

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
