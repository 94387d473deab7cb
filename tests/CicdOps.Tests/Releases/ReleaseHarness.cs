using CicdOps.Engine.Model;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Releases;

/// <summary>What the release tests share: a project registered with releases, and looks at its layout.</summary>
internal static class ReleaseHarness
{
    public static Project RegisterWithReleases(this EngineHarness h, TestRepository repo, int keep = 5, IReadOnlyList<string>? shared = null, int? port = null) =>
        h.Engine.RegisterProject(new ProjectSpec
        {
            Name = "app", Repository = repo.Url, Path = Path.Combine(h.Root, "trees", "app"), Branch = repo.Branch, Port = port,
            HealthTimeout = TimeSpan.FromSeconds(5), KeepReleases = keep, SharedPaths = shared,
        });

    /// <summary>Release directory names, oldest first.</summary>
    public static string[] ReleaseDirectories(Project p) =>
        Directory.GetDirectories(Path.Combine(p.Path, "releases")).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    /// <summary>What `current` links to, as written in the link.</summary>
    public static string? Current(Project p) => new FileInfo(Path.Combine(p.Path, "current")).LinkTarget;

    public static string ReleaseOf(Project p, string sha) => ReleaseDirectories(p).Single(r => r.EndsWith("-" + sha[..12], StringComparison.Ordinal));

    public static int GitCalls(EngineHarness h, Deployment d) =>
        int.Parse(System.Text.RegularExpressions.Regex.Match(h.Log(d), @"git-calls=(\d+)").Groups[1].Value);
}
