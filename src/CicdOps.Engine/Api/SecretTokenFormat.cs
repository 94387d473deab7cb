using System.Security.Cryptography;

namespace CicdOps.Engine.Api;

/// <summary>
/// Shapes like the API token's (<see cref="ApiTokenFormat"/>) with another prefix: <c>PREFIX&lt;id&gt;_&lt;secret&gt;</c>,
/// the secret 256 random bits in base64url, only SHA-256 of it stored. Dashboard login links use "cdl_", session
/// cookies "cds_", so one kind can never be presented as another.
/// </summary>
public sealed class SecretTokenFormat(string prefix)
{
    public static readonly SecretTokenFormat Login = new("cdl_");
    public static readonly SecretTokenFormat Session = new("cds_");

    public string Prefix { get; } = prefix;

    public string Compose(long id, string secret) => $"{Prefix}{id}_{secret}";

    public bool TryParse(string? token, out long id, out string secret)
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

    public static bool Matches(string secret, byte[] storedHash) => CryptographicOperations.FixedTimeEquals(ApiTokenFormat.Hash(secret), storedHash);
}
