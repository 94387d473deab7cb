using System.Globalization;
using System.Runtime.Versioning;

namespace CicdOps.Engine.Sandbox;

/// <summary>Owner, group and permission bits of a file itself (lstat: a link is not followed).</summary>
internal readonly record struct FileOwner(uint Uid, uint Gid, int Mode);

/// <summary>
/// .NET exposes modes but not owners: stat(1) gives both, for many paths in one run, without following links.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class FileOwners
{
    public static IReadOnlyList<FileOwner> Of(IReadOnlyList<string> paths)
    {
        if (paths.Count == 0) return Array.Empty<FileOwner>();
        var r = ToolRunner.Run("stat", new[] { "--format=%u %g %a", "--" }.Concat(paths));
        var lines = r.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (r.ExitCode != 0 || lines.Length != paths.Count)
            throw new CicdException(CicdError.InvalidPath, $"Cannot read the owner of '{paths[0]}': {r.OneLineError}", paths[0]);
        return lines.Select(l =>
        {
            var f = l.Split(' ');
            return new FileOwner(uint.Parse(f[0], CultureInfo.InvariantCulture), uint.Parse(f[1], CultureInfo.InvariantCulture),
                Convert.ToInt32(f[2], 8));
        }).ToList();
    }
}
