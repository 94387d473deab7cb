using System.Security.Cryptography;

namespace CicdOps.Engine.Secrets;

/// <summary>
/// The 32-byte AES-256 key that encrypts secrets at rest. It comes from the file named by
/// <c>CICDOPS_MASTER_KEY_FILE</c> (raw 32 bytes, or their base64 as written by <c>openssl rand -base64 32</c>),
/// else from <c>master.key</c> in the data directory, created on first use with mode 0600 from the start.
/// Dispose zeroes the key in memory.
/// </summary>
public sealed class MasterKey : IDisposable
{
    public const string EnvironmentVariable = "CICDOPS_MASTER_KEY_FILE";
    public const string FileName = "master.key";
    public const int Size = 32;

    private readonly byte[] _key;
    private bool _disposed;

    private MasterKey(byte[] key, string path)
    {
        _key = key;
        FilePath = path;
    }

    /// <summary>Where the key was read from (never the key itself).</summary>
    public string FilePath { get; }

    internal ReadOnlySpan<byte> Bytes
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _key;
        }
    }

    /// <summary>
    /// Loads the key named by <c>CICDOPS_MASTER_KEY_FILE</c> (which must exist), else the data directory's
    /// key, creating that one when it does not exist yet.
    /// </summary>
    public static MasterKey Load(string dataPath, string? keyFileOverride = null)
    {
        var fromEnv = keyFileOverride ?? Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnv)) return ReadExisting(Path.GetFullPath(fromEnv));
        var path = Path.Combine(dataPath, FileName);
        if (!File.Exists(path)) CreateAtomically(path);
        return ReadExisting(path);
    }

    public void Dispose()
    {
        if (_disposed) return;
        CryptographicOperations.ZeroMemory(_key);
        _disposed = true;
    }

    private static MasterKey ReadExisting(string path)
    {
        byte[] raw;
        try
        {
            RejectIfOthersCanRead(path);
            raw = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CicdException(CicdError.DataDirectoryUnavailable, $"The master key file '{path}' cannot be read: {e.Message}", path, inner: e);
        }
        try
        {
            if (raw.Length == Size) return new MasterKey(raw, path);
            var decoded = TryDecodeBase64(raw);
            if (decoded is not null) return new MasterKey(decoded, path);
        }
        finally
        {
            if (raw.Length != Size) CryptographicOperations.ZeroMemory(raw);
        }
        // Never echo the content: it may be a mistyped key.
        throw new CicdException(CicdError.SecretDecryptionFailed,
            $"The master key file '{path}' must hold exactly {Size} bytes (raw, or base64 of {Size} bytes).", path,
            "Create one with: head -c 32 /dev/urandom > FILE; chmod 600 FILE");
    }

    private static byte[]? TryDecodeBase64(byte[] raw)
    {
        var text = System.Text.Encoding.ASCII.GetString(raw).Trim();
        var buffer = new byte[Size + 3];
        try
        {
            if (Convert.TryFromBase64String(text, buffer, out var n) && n == Size) return buffer[..Size];
            return null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
        }
    }

    // Same rule as ssh for private keys: a key any local account can read protects nothing.
    private static void RejectIfOthersCanRead(string path)
    {
        if (OperatingSystem.IsWindows()) return;
        var mode = File.GetUnixFileMode(path);
        if ((mode & (UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute)) != 0)
            throw new CicdException(CicdError.DataDirectoryUnavailable,
                $"The master key file '{path}' is accessible to other users; refusing to use it.", path,
                $"Run: chmod 600 '{path}'");
    }

    /// <summary>
    /// Writes a fresh key to a temporary file created with mode 0600 (never wider, not even for a moment),
    /// then links it into place without overwriting: when two processes race, both end up reading the one
    /// that won.
    /// </summary>
    private static void CreateAtomically(string path)
    {
        var key = RandomNumberGenerator.GetBytes(Size);
        try
        {
            // When another process (or thread) created the key first, use theirs: never replace a key someone may
            // already have encrypted with.
            Processes.PrivateFile.CreateOnce(path, key);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CicdException(CicdError.DataDirectoryUnavailable, $"The master key file '{path}' cannot be created: {e.Message}", path, inner: e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }
}
