using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace CicdOps.Engine.Sandbox;

/// <summary>The few libc calls .NET does not expose: effective ids and chown without following symlinks.</summary>
[SupportedOSPlatform("linux")]
[SupportedOSPlatform("macos")]
internal static class UnixIds
{
    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();

    [DllImport("libc", EntryPoint = "getegid")]
    private static extern uint GetEgid();

    [DllImport("libc", EntryPoint = "lchown", SetLastError = true)]
    private static extern int LChown([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint owner, uint group);

    public static uint EffectiveUid => GetEuid();
    public static uint EffectiveGid => GetEgid();
    public static bool IsRoot => GetEuid() == 0;

    /// <summary>Changes the owner of <paramref name="path"/> itself (a symlink is not followed).</summary>
    public static void ChownNoFollow(string path, uint uid, uint gid)
    {
        if (LChown(path, uid, gid) != 0)
            throw new IOException($"lchown '{path}' failed: errno {Marshal.GetLastPInvokeError()}");
    }
}
