using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace CicdOps.Engine.Sandbox;

/// <summary>
/// Names of service accounts. Ones CicdOps creates look like <c>cicd_&lt;project&gt;-&lt;6 hex&gt;</c>
/// (e.g. cicd_my-api-a1b2c3): Linux names are at most 32 characters, so the project part is lowercased,
/// reduced to [a-z0-9-] and cut to 20 characters; the random hex keeps truncated names apart.
/// Existing accounts named by a user must match the conservative POSIX-ish shape <c>[a-z_][a-z0-9_-]{0,31}</c>.
/// </summary>
public static class ServiceUserName
{
    public const string ManagedPrefix = "cicd_";
    public const int MaxLength = 32;
    public const int MaxProjectPart = MaxLength - 5 - 1 - 6; // "cicd_" + "-" + 6 hex

    private static readonly Regex Shape = new(@"\A[a-z_][a-z0-9_-]{0,31}\z", RegexOptions.CultureInvariant);
    private static readonly Regex Managed = new(@"\Acicd_[a-z0-9][a-z0-9-]{0,19}-[0-9a-f]{6}\z", RegexOptions.CultureInvariant);

    /// <summary>A fresh name for <paramref name="projectName"/>; call again on a collision.</summary>
    public static string Derive(string projectName) => Derive(projectName, Convert.ToHexString(RandomNumberGenerator.GetBytes(3)).ToLowerInvariant());

    internal static string Derive(string projectName, string hex)
    {
        var sb = new StringBuilder();
        foreach (var ch in projectName.ToLowerInvariant())
            sb.Append(ch is >= 'a' and <= 'z' or >= '0' and <= '9' ? ch : '-');
        var part = Regex.Replace(sb.ToString(), "-{2,}", "-").Trim('-');
        if (part.Length > MaxProjectPart) part = part[..MaxProjectPart].TrimEnd('-');
        if (part.Length == 0) part = "project";
        return $"{ManagedPrefix}{part}-{hex}";
    }

    public static bool IsValid(string? name) => name is not null && Shape.IsMatch(name);

    /// <summary>True for names CicdOps itself derives (the only accounts it will ever delete).</summary>
    public static bool IsManaged(string? name) => name is not null && Managed.IsMatch(name);

    public static void Validate(string? name)
    {
        if (!IsValid(name))
            throw new CicdException(CicdError.ServiceUserFailed,
                $"'{Secrets.SafeText.Printable(name)}' is not an acceptable account name (lowercase letters, digits, '_' and '-', starting with a letter or '_', at most {MaxLength}).",
                name);
    }
}
