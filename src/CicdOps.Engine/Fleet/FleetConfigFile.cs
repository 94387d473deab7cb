using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CicdOps.Engine.Secrets;

namespace CicdOps.Engine.Fleet;

/// <summary>
/// <c>fleet.json</c> in the data directory: the node's fleet settings, with the registry URI (which carries the
/// registry's credentials) sealed by the master key like project secrets (AES-256-GCM, bound to "@fleet"/"registry").
/// Written 0600 to a temporary file and renamed into place, so a reader sees the old or the new file, never half.
/// </summary>
internal static class FleetConfigFile
{
    public const string FileName = "fleet.json";
    private const string SecretOwner = "@fleet";
    private const string SecretName = "registry";

    private sealed record Stored(string Backend, string RegistryMasked, string Nonce, string Ciphertext, string Tag,
        string NodeName, long SyncIntervalMs, DateTimeOffset JoinedAt);

    public static string PathIn(string dataPath) => Path.Combine(dataPath, FileName);

    public static FleetMembership? Read(string dataPath)
    {
        var stored = Load(dataPath);
        return stored is null ? null : ToMembership(stored);
    }

    /// <summary>The registry URI in clear, for connecting only: never print or log it.</summary>
    public static string? RevealUri(string dataPath, MasterKey key)
    {
        var stored = Load(dataPath);
        if (stored is null) return null;
        byte[] plain;
        try
        {
            plain = SecretCipher.Open(key, SecretOwner, SecretName, new SealedSecret(
                Convert.FromBase64String(stored.Nonce), Convert.FromBase64String(stored.Ciphertext), Convert.FromBase64String(stored.Tag)));
        }
        catch (Exception e) when (e is CicdException or FormatException)
        {
            throw new CicdException(CicdError.SecretDecryptionFailed,
                "The fleet registry URI stored in fleet.json cannot be decrypted: the master key differs from the one that sealed it, or the file was altered.",
                FileName, "Restore the master key, or join again (`cicdops fleet join --registry URI`).", e);
        }
        try { return Encoding.UTF8.GetString(plain); }
        finally { CryptographicOperations.ZeroMemory(plain); }
    }

    public static FleetMembership Write(string dataPath, MasterKey key, string uri, RegistryBackend backend, string nodeName, TimeSpan interval)
    {
        var plain = Encoding.UTF8.GetBytes(uri);
        SealedSecret sealedUri;
        try { sealedUri = SecretCipher.Seal(key, SecretOwner, SecretName, plain); }
        finally { CryptographicOperations.ZeroMemory(plain); }
        var stored = new Stored(backend.ToString(), RegistryAddress.Mask(uri), Convert.ToBase64String(sealedUri.Nonce),
            Convert.ToBase64String(sealedUri.Ciphertext), Convert.ToBase64String(sealedUri.Tag), nodeName,
            (long)interval.TotalMilliseconds, DateTimeOffset.UtcNow);
        var path = PathIn(dataPath);
        var tmp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var fs = new FileStream(tmp, options))
            {
                JsonSerializer.Serialize(fs, stored);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CicdException(CicdError.DataDirectoryUnavailable, $"The fleet settings '{path}' cannot be written: {e.Message}", path, inner: e);
        }
        finally
        {
            try { File.Delete(tmp); } catch (IOException) { }
        }
        return ToMembership(stored);
    }

    public static bool Delete(string dataPath)
    {
        var path = PathIn(dataPath);
        if (!File.Exists(path)) return false;
        File.Delete(path);
        return true;
    }

    private static Stored? Load(string dataPath)
    {
        var path = PathIn(dataPath);
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<Stored>(File.ReadAllText(path)) ?? throw new JsonException("empty"); }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            throw new CicdException(CicdError.DataDirectoryUnavailable, $"The fleet settings '{path}' cannot be read: {e.Message}", path,
                "Run `cicdops fleet leave`, then join again.", e);
        }
    }

    private static FleetMembership ToMembership(Stored s) => new()
    {
        Backend = Enum.Parse<RegistryBackend>(s.Backend),
        Registry = s.RegistryMasked,
        NodeName = s.NodeName,
        SyncInterval = TimeSpan.FromMilliseconds(s.SyncIntervalMs),
        JoinedAt = s.JoinedAt,
    };
}
