using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace CicdOps.Engine.Sandbox;

/// <summary>
/// The user database through glibc's own calls (getpwnam_r, getpwent_r: the same NSS sources `getent passwd` reads),
/// in this process: a deploy looks its account up and lists the homes every time, and a `getent` process for each
/// was a measurable part of a deploy. Null where libc cannot answer (callers then run getent).
/// </summary>
[SupportedOSPlatform("linux")]
internal static class PasswdEntries
{
    [StructLayout(LayoutKind.Sequential)]
    private struct Passwd
    {
        public IntPtr Name, Password;
        public uint Uid, Gid;
        public IntPtr Gecos, Dir, Shell;
    }

    [DllImport("libc", EntryPoint = "getpwnam_r", SetLastError = true)]
    private static extern int GetPwNamR([MarshalAs(UnmanagedType.LPUTF8Str)] string name, out Passwd pwd, byte[] buffer, nuint size, out IntPtr result);

    [DllImport("libc", EntryPoint = "setpwent")]
    private static extern void SetPwEnt();

    [DllImport("libc", EntryPoint = "getpwent_r")]
    private static extern int GetPwEntR(out Passwd pwd, byte[] buffer, nuint size, out IntPtr result);

    [DllImport("libc", EntryPoint = "endpwent")]
    private static extern void EndPwEnt();

    private const int ERANGE = 34, ENOENT = 2;
    private static readonly object EnumerationGate = new(); // the *pwent cursor is one per process

    /// <summary>Whether these calls work here (64-bit glibc, where struct passwd has the layout above).</summary>
    public static bool Available => OperatingSystem.IsLinux() && IntPtr.Size == 8 && Probe();

    private static bool? _probed;
    private static bool Probe()
    {
        if (_probed is { } known) return known;
        try { _probed = Lookup("root") is { Uid: 0 }; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { _probed = false; }
        return _probed.Value;
    }

    /// <summary>The entry of <paramref name="name"/> (name, uid, gid, home), or null when there is none.</summary>
    public static ServiceAccount? Lookup(string name)
    {
        for (var size = 4096; size <= 1 << 20; size *= 4)
        {
            var buffer = new byte[size];
            var rc = GetPwNamR(name, out var pwd, buffer, (nuint)size, out var result);
            if (rc == ERANGE) continue;
            if (rc != 0 && rc != ENOENT) throw new IOException($"getpwnam_r failed ({rc})");
            return result == IntPtr.Zero ? null : From(pwd);
        }
        throw new IOException("getpwnam_r: entry too large");
    }

    /// <summary>Every entry's name and home directory, as `getent passwd` lists them.</summary>
    public static List<(string Name, string Home)> All()
    {
        var list = new List<(string, string)>();
        lock (EnumerationGate)
        {
            SetPwEnt();
            try
            {
                var buffer = new byte[16384];
                while (true)
                {
                    var rc = GetPwEntR(out var pwd, buffer, (nuint)buffer.Length, out var result);
                    if (rc == ERANGE) { buffer = new byte[buffer.Length * 4]; continue; }
                    if (rc != 0 || result == IntPtr.Zero) break;
                    var a = From(pwd);
                    list.Add((a.Name, a.Home));
                }
            }
            finally { EndPwEnt(); }
        }
        return list;
    }

    private static ServiceAccount From(Passwd p) =>
        new(Marshal.PtrToStringUTF8(p.Name) ?? "", p.Uid, p.Gid, Marshal.PtrToStringUTF8(p.Dir) ?? "");
}
