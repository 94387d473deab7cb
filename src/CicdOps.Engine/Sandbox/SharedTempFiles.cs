using System.Globalization;
using System.Runtime.Versioning;

namespace CicdOps.Engine.Sandbox;

/// <summary>
/// Before an account is deleted, what it left in the world-writable temporary directories goes to root:
/// a later account given the same uid must not inherit it. Links are not followed; other file systems
/// mounted below are not entered.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class SharedTempFiles
{
    public static readonly string[] Directories = { "/tmp", "/var/tmp", "/dev/shm" };

    public static void GiveToRoot(uint uid)
    {
        if (uid == 0) return;
        var roots = Directories.Where(Directory.Exists).ToArray();
        if (roots.Length == 0) return;
        // find -P (the default) never follows links; chown -h changes a link itself.
        ToolRunner.Run("find", roots.Concat(new[]
        {
            "-xdev", "-uid", uid.ToString(CultureInfo.InvariantCulture), "-exec", "chown", "--no-dereference", "0:0", "--", "{}", "+",
        }), TimeSpan.FromMinutes(2));
    }
}
