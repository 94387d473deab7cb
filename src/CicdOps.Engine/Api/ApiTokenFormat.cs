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

    /// <summary>The parsing shared with the dashboard's login links and session cookies (other prefixes, same shape).</summary>
    private static readonly SecretTokenFormat Shape = new(Prefix);

    public static string Compose(long id, string secret) => Shape.Compose(id, secret);

    public static byte[] Hash(string secret) => SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(secret));

    /// <summary>Splits a presented token; false for anything not shaped like one (no lookup happens then).</summary>
    public static bool TryParse(string? token, out long id, out string secret) => Shape.TryParse(token, out id, out secret);

    /// <summary>Whether the presented secret's hash equals the stored one, in time independent of where they differ.</summary>
    public static bool Matches(string secret, byte[] storedHash) => CryptographicOperations.FixedTimeEquals(Hash(secret), storedHash);

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
