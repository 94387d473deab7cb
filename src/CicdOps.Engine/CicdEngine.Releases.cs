using CicdOps.Engine.Deploy;
using CicdOps.Engine.State;

namespace CicdOps.Engine;

public sealed partial class CicdEngine
{
    /// <summary>
    /// A project's kept releases, newest first: commit, created, installed, size, and which one `current`
    /// names and which is the last good one. Empty for a project without releases (or before its first deploy).
    /// </summary>
    public IReadOnlyList<Release> GetReleases(string project)
    {
        var p = _ctx.Db.Read(c => ProjectStore.Get(c, Validation.Names.ProjectName(project)));
        var layout = new ReleaseLayout(p.Path);
        var current = layout.CurrentName();
        return _ctx.Db.Read(c => ReleaseStore.List(c, p.Name))
            .Where(r => Directory.Exists(layout.Release(r.Name)))
            .Select(r => new Release(p.Name, r.Name, r.Commit, r.CreatedAt, r.InstalledAt, SizeOf(layout.Release(r.Name)),
                r.Name == current, r.Commit == p.LastGoodCommit, layout.Release(r.Name)))
            .ToList();
    }

    /// <summary>The bytes of a release's files; links are counted as links, never followed (the tree is the project's).</summary>
    private static long SizeOf(string directory)
    {
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true,
            ReturnSpecialDirectories = false,
        };
        try { return new DirectoryInfo(directory).EnumerateFiles("*", options).Sum(f => f.Length); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return 0; }
    }
}
