using System.Runtime.InteropServices;
using System.Security;

namespace CicdOps.Cmdlets.Infrastructure;

/// <summary>
/// Hands a SecureString's characters to one engine call and zeroes every plaintext copy afterwards
/// (the unmanaged buffer and the managed char array), as <see cref="WebhookSecrets"/> does.
/// </summary>
public static class SecretValues
{
    public delegate T CharsCall<out T>(ReadOnlySpan<char> value);

    public static T WithChars<T>(SecureString value, CharsCall<T> call)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(call);
        var unmanaged = IntPtr.Zero;
        var chars = new char[value.Length];
        try
        {
            unmanaged = Marshal.SecureStringToGlobalAllocUnicode(value);
            Marshal.Copy(unmanaged, chars, 0, chars.Length);
            return call(chars);
        }
        finally
        {
            Array.Clear(chars);
            if (unmanaged != IntPtr.Zero) Marshal.ZeroFreeGlobalAllocUnicode(unmanaged);
        }
    }
}
