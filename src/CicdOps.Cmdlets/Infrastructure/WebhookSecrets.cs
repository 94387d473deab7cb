using System.Runtime.InteropServices;
using System.Security;
using System.Text;

namespace CicdOps.Cmdlets.Infrastructure;

/// <summary>
/// Turns a webhook secret given as a SecureString into what the engine (a project's secret: UTF-8 bytes) or the
/// listener child process (its environment) takes. Intermediate plaintext buffers are zeroed where .NET allows.
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

    /// <summary>
    /// The secure string as text, for the listener child process's environment (its only way in that other users
    /// cannot read: the process list shows argv to everyone, /proc/PID/environ only to the owner and root).
    /// </summary>
    public static string ToPlainText(SecureString secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var unmanaged = IntPtr.Zero;
        try
        {
            unmanaged = Marshal.SecureStringToGlobalAllocUnicode(secret);
            return Marshal.PtrToStringUni(unmanaged, secret.Length);
        }
        finally
        {
            if (unmanaged != IntPtr.Zero) Marshal.ZeroFreeGlobalAllocUnicode(unmanaged);
        }
    }
}
