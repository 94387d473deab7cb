using System.Runtime.InteropServices;
using System.Security;
using System.Text;

namespace CicdOps.Cmdlets.Infrastructure;

/// <summary>
/// Turns the ways a webhook secret can be given (SecureString, file, environment variable) into the UTF-8
/// bytes the engine's ListenerOptions.Secret expects. Intermediate plaintext buffers are zeroed.
/// </summary>
public static class WebhookSecrets
{
    public const string EnvironmentVariable = "CICDOPS_WEBHOOK_SECRET";

    /// <summary>UTF-8 of the secure string; null when it is empty.</summary>
    public static byte[]? FromSecureString(SecureString secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        if (secret.Length == 0) return null;
        var unmanaged = IntPtr.Zero;
        var chars = new char[secret.Length];
        try
        {
            unmanaged = Marshal.SecureStringToGlobalAllocUnicode(secret);
            Marshal.Copy(unmanaged, chars, 0, chars.Length);
            return Encoding.UTF8.GetBytes(chars);
        }
        finally
        {
            Array.Clear(chars);
            if (unmanaged != IntPtr.Zero) Marshal.ZeroFreeGlobalAllocUnicode(unmanaged);
        }
    }

    /// <summary>The file's bytes without a trailing newline (as `echo secret > file` leaves); null when nothing is left.</summary>
    public static byte[]? FromFileBytes(byte[] content)
    {
        ArgumentNullException.ThrowIfNull(content);
        var length = content.Length;
        while (length > 0 && content[length - 1] is (byte)'\n' or (byte)'\r') length--;
        if (length == 0) return null;
        return content[..length];
    }

    /// <summary>UTF-8 of the environment variable's value; null when unset or empty.</summary>
    public static byte[]? FromEnvironment() =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } value ? Encoding.UTF8.GetBytes(value) : null;
}
