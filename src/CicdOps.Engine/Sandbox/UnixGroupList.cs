using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace CicdOps.Engine.Sandbox;

/// <summary>getgrouplist(3): an account's primary and supplementary groups without starting `id`.</summary>
[SupportedOSPlatform("linux")]
internal static class UnixGroupList
{
    [DllImport("libc", EntryPoint = "getgrouplist", SetLastError = true)]
    private static extern int GetGroupList([MarshalAs(UnmanagedType.LPUTF8Str)] string user, uint group, [Out] uint[] groups, ref int count);

    /// <summary>The groups of <paramref name="user"/> (with <paramref name="primaryGid"/> first), or null when libc cannot say.</summary>
    public static uint[]? Of(string user, uint primaryGid)
    {
        try
        {
            var count = 32;
            for (var attempt = 0; attempt < 4; attempt++)
            {
                var groups = new uint[count];
                var n = count;
                if (GetGroupList(user, primaryGid, groups, ref n) >= 0) return groups[..n];
                if (n <= count) count *= 2; else count = n; // too small: n says how many there are
            }
            return null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return null; }
    }
}
