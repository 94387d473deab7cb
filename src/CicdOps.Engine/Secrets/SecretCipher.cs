using System.Security.Cryptography;
using System.Text;

namespace CicdOps.Engine.Secrets;

/// <summary>One encrypted value as stored: random nonce, ciphertext (same length as the value) and GCM tag.</summary>
internal readonly record struct SealedSecret(byte[] Nonce, byte[] Ciphertext, byte[] Tag);

/// <summary>
/// AES-256-GCM with a fresh 12-byte random nonce per value and a 16-byte tag. The associated data binds
/// each ciphertext to its project and name ("cicdops:v1\0&lt;project&gt;\0&lt;name&gt;"), so a row copied to
/// another project or renamed fails authentication instead of leaking into the wrong process.
/// </summary>
internal static class SecretCipher
{
    public const int NonceSize = 12;
    public const int TagSize = 16;

    public static SealedSecret Seal(MasterKey key, string project, string name, ReadOnlySpan<byte> plaintext)
    {
        var nonce = RandomNumberGenerator.GetBytes(NonceSize);
        var ciphertext = new byte[plaintext.Length];
        var tag = new byte[TagSize];
        using var aes = new AesGcm(key.Bytes, TagSize);
        aes.Encrypt(nonce, plaintext, ciphertext, tag, AssociatedData(project, name));
        return new SealedSecret(nonce, ciphertext, tag);
    }

    /// <summary>Decrypts into a new array the caller must zero; throws <see cref="CicdError.SecretDecryptionFailed"/>.</summary>
    public static byte[] Open(MasterKey key, string project, string name, SealedSecret sealedSecret)
    {
        if (sealedSecret.Nonce.Length != NonceSize || sealedSecret.Tag.Length != TagSize)
            throw Failed(project, name, null);
        var plaintext = new byte[sealedSecret.Ciphertext.Length];
        try
        {
            using var aes = new AesGcm(key.Bytes, TagSize);
            aes.Decrypt(sealedSecret.Nonce, sealedSecret.Ciphertext, sealedSecret.Tag, plaintext, AssociatedData(project, name));
            return plaintext;
        }
        catch (CryptographicException e)
        {
            CryptographicOperations.ZeroMemory(plaintext);
            throw Failed(project, name, e);
        }
    }

    internal static byte[] AssociatedData(string project, string name) =>
        Encoding.UTF8.GetBytes($"cicdops:v1\0{project}\0{name}");

    private static CicdException Failed(string project, string name, Exception? inner) =>
        new(CicdError.SecretDecryptionFailed,
            $"Secret '{name}' of project '{project}' cannot be decrypted: the master key differs from the one that encrypted it, or the stored value was altered or moved.",
            $"{project}/{name}",
            "Restore the master key that was used to set it, or set the secret again.", inner);
}
