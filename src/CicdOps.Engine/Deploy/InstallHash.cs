using System.Security.Cryptography;

namespace CicdOps.Engine.Deploy;

/// <summary>SHA-256 of install.sh: install runs only when this differs from the last successful install's hash.</summary>
internal static class InstallHash
{
    public static string? Of(string workingTree)
    {
        var path = Path.Combine(workingTree, ScriptNames.Install);
        if (!File.Exists(path)) return null;
        using var f = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(f)).ToLowerInvariant();
    }
}
