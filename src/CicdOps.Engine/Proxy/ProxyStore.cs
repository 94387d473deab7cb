using System.Globalization;

namespace CicdOps.Engine.Proxy;

/// <summary>
/// A project's proxy settings, one root-only file per project under the data directory (proxy/NAME), lines of
/// key=value. Kept beside the database rather than in it because this release adds no schema version; every
/// value was validated (no control characters) before it is written, and the file is replaced by rename.
/// </summary>
internal static class ProxyStore
{
    private static string Directory(DataLayout layout) => Path.Combine(layout.Root, "proxy");
    private static string FileOf(DataLayout layout, string project) => Path.Combine(Directory(layout), project);

    public static ProjectProxy? Load(DataLayout layout, string project)
    {
        var file = FileOf(layout, project);
        if (!File.Exists(file)) return null;
        var v = File.ReadAllLines(file).Select(l => l.Split('=', 2)).Where(kv => kv.Length == 2).ToDictionary(kv => kv[0], kv => kv[1]);
        int Int(string k) => int.Parse(v[k], CultureInfo.InvariantCulture);
        return new ProjectProxy
        {
            Project = project,
            Kind = Enum.Parse<ProxyKind>(v["kind"]),
            FirstPort = Int("first-port"),
            SecondPort = Int("second-port"),
            UpstreamFile = v["upstream-file"],
            Nginx = v["nginx"],
            NginxConfig = v.TryGetValue("nginx-config", out var c) && c.Length > 0 ? c : null,
            DrainPeriod = TimeSpan.FromMilliseconds(Int("drain-ms")),
            ActivePort = v.TryGetValue("active-port", out var a) && a.Length > 0 ? int.Parse(a, CultureInfo.InvariantCulture) : null,
        };
    }

    public static IReadOnlyList<ProjectProxy> All(DataLayout layout) =>
        System.IO.Directory.Exists(Directory(layout))
            ? System.IO.Directory.GetFiles(Directory(layout)).Select(Path.GetFileName).Where(n => !n!.StartsWith('.'))
                .Select(n => Load(layout, n!)).OfType<ProjectProxy>().ToList()
            : Array.Empty<ProjectProxy>();

    public static void Save(DataLayout layout, ProjectProxy p)
    {
        var dir = Directory(layout);
        System.IO.Directory.CreateDirectory(dir);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var text = string.Join('\n', new[]
        {
            "kind=" + p.Kind, "first-port=" + Str(p.FirstPort), "second-port=" + Str(p.SecondPort), "upstream-file=" + p.UpstreamFile,
            "nginx=" + p.Nginx, "nginx-config=" + p.NginxConfig, "drain-ms=" + Str((int)p.DrainPeriod.TotalMilliseconds),
            "active-port=" + (p.ActivePort is { } a ? Str(a) : ""),
        }) + "\n";
        AtomicFile.Write(FileOf(layout, p.Project), text, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    public static void Delete(DataLayout layout, string project)
    {
        if (File.Exists(FileOf(layout, project))) File.Delete(FileOf(layout, project));
    }

    private static string Str(int i) => i.ToString(CultureInfo.InvariantCulture);
}
