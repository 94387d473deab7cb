using CicdOps.Engine.Model;
using CicdOps.Engine.Sandbox;

namespace CicdOps.Engine.Proxy;

/// <summary>
/// The checks a proxy setting passes before it is stored. CicdOps writes the upstream file and runs nginx as
/// root, so: the file lies outside every project's tree and the data directory, in a real directory (no link on
/// the way) that only root may change, and is not a link itself nor another project's; nginx is a root-owned
/// program nobody else may rewrite; the two ports pass the rules a project's port does.
/// </summary>
internal static class ProxySettings
{
    public static ProjectProxy Validate(Project project, ProxySpec spec, IReadOnlyList<Project> projects, IReadOnlyList<ProjectProxy> proxies, string dataPath, bool sandboxed)
    {
        if (project.KeepReleases == 0)
            throw Bad(CicdError.InvalidArgument, $"Project '{project.Name}' deploys in place: a zero-downtime switch needs release directories (set --keep-releases / -KeepReleases to 1 or more).", project.Name);
        if (project.Port is { } own)
            throw Bad(CicdError.InvalidPort, $"Project '{project.Name}' has the port {own}: with a proxy the app alternates between its two ports; clear it first (--clear-port / -ClearPort).", own);
        if (spec.Ports is not { Count: 2 } || spec.Ports[0] == spec.Ports[1])
            throw Bad(CicdError.InvalidPort, "Give exactly two different ports for the app to alternate between, e.g. --ports 8001,8002 / -Ports 8001,8002.", string.Join(",", spec.Ports ?? Array.Empty<int>()));
        foreach (var port in spec.Ports)
        {
            Validation.Names.Port(port);
            ProjectPorts.CheckPrivileged(port, spec.AllowPrivilegedPort);
            ProjectPorts.CheckListeners(port, dataPath);
            if (projects.FirstOrDefault(o => o.Name != project.Name && o.Port == port) is { } other)
                throw Bad(CicdError.InvalidPort, $"Port {port} is already the port of project '{other.Name}'.", port);
            if (proxies.FirstOrDefault(o => o.Project != project.Name && (o.FirstPort == port || o.SecondPort == port)) is { } taken)
                throw Bad(CicdError.InvalidPort, $"Port {port} is already one of the proxy ports of project '{taken.Project}'.", port);
        }
        var drain = spec.DrainPeriod ?? ProxyDefaults.DrainPeriod;
        if (drain < TimeSpan.Zero || drain > ProxyDefaults.MaxDrainPeriod)
            throw Bad(CicdError.InvalidTimeout, $"Invalid drain period {drain}: use 0 to {ProxyDefaults.MaxDrainPeriod.TotalMinutes:0} minutes.", drain);
        var previous = proxies.FirstOrDefault(o => o.Project == project.Name);
        var ports = spec.Ports.ToArray();
        if (spec.CaddyAdmin is not null || spec.CaddyRoute is not null)
        {
            if (spec.UpstreamFile is not null || spec.Nginx is not null || spec.NginxConfig is not null)
                throw Bad(CicdError.InvalidArgument, "Give either nginx's upstream file or Caddy's admin API and route, not both.", project.Name);
            var (admin, route) = CaddySwitch.Validate(spec.CaddyAdmin, spec.CaddyRoute);
            return new ProjectProxy
            {
                Project = project.Name, Kind = ProxyKind.Caddy, FirstPort = ports[0], SecondPort = ports[1], CaddyAdmin = admin, CaddyRoute = route,
                Nginx = "", DrainPeriod = drain,
                ActivePort = previous?.ActivePort is { } p && ports.Contains(p) && previous.CaddyAdmin == admin && previous.CaddyRoute == route ? p : null,
            };
        }
        var upstream = UpstreamFile(spec.UpstreamFile, project, projects, proxies, dataPath, sandboxed);
        var nginx = RootProgram(spec.Nginx ?? ProxyDefaults.Nginx, sandboxed);
        var config = spec.NginxConfig is null ? null : ExistingFile(spec.NginxConfig, "nginx configuration");
        return new ProjectProxy
        {
            Project = project.Name, Kind = ProxyKind.Nginx, FirstPort = ports[0], SecondPort = ports[1], UpstreamFile = upstream,
            Nginx = nginx, NginxConfig = config, DrainPeriod = drain,
            // The port the proxy points at stays known while it is still one of the pair.
            ActivePort = previous?.ActivePort is { } a && ports.Contains(a) && previous.UpstreamFile == upstream ? a : null,
        };
    }

    private static string UpstreamFile(string? path, Project project, IReadOnlyList<Project> projects, IReadOnlyList<ProjectProxy> proxies, string dataPath, bool sandboxed)
    {
        var file = AbsolutePlain(path, "upstream file");
        if (projects.FirstOrDefault(o => PathOverlap.Between(o.Path, file)) is { } inTree)
            throw Bad(CicdError.InvalidPath, $"Invalid upstream file '{file}': it is inside the tree of project '{inTree.Name}', which its user may change; put it in nginx's configuration, e.g. /etc/nginx/cicdops/{project.Name}.conf.", file);
        if (PathOverlap.Between(file, dataPath))
            throw Bad(CicdError.InvalidPath, $"Invalid upstream file '{file}': it is inside the data directory {dataPath}.", file);
        if (proxies.FirstOrDefault(o => o.Project != project.Name && o.Kind == ProxyKind.Nginx && o.UpstreamFile == file) is { } other)
            throw Bad(CicdError.InvalidPath, $"Invalid upstream file '{file}': it is the upstream file of project '{other.Project}'.", file);
        var dir = Path.GetDirectoryName(file)!;
        var info = new DirectoryInfo(dir);
        if (!info.Exists)
            throw Bad(CicdError.InvalidPath, $"Invalid upstream file '{file}': its directory {dir} does not exist; make it first (as root, mode 755).", file);
        // No link anywhere on the way: what is checked is what gets written.
        if (RealPath(dir) != dir)
            throw Bad(CicdError.InvalidPath, $"Invalid upstream file '{file}': {dir} is reached through a symbolic link; give the real path {RealPath(dir)}.", file);
        if (sandboxed && OperatingSystem.IsLinux())
        {
            var owner = FileOwners.Of(new[] { dir })[0];
            if (owner.Uid != 0 || (owner.Mode & 0b000_010_010) != 0)
                throw Bad(CicdError.InvalidPath, $"Invalid upstream file '{file}': {dir} must belong to root and be writable by nobody else (another user could swap the file CicdOps writes as root).", file);
        }
        var existing = new FileInfo(file);
        if (existing.LinkTarget is not null)
            throw Bad(CicdError.InvalidPath, $"Invalid upstream file '{file}': it is a symbolic link; CicdOps writes a regular file it owns.", file);
        if (Directory.Exists(file))
            throw Bad(CicdError.InvalidPath, $"Invalid upstream file '{file}': it is a directory.", file);
        return file;
    }

    /// <summary>nginx runs as root: it must be root's and writable by nobody else.</summary>
    private static string RootProgram(string path, bool sandboxed)
    {
        var file = ExistingFile(path, "nginx program");
        if (sandboxed && OperatingSystem.IsLinux())
        {
            var owner = FileOwners.Of(new[] { RealPath(file) })[0];
            if (owner.Uid != 0 || (owner.Mode & 0b000_010_010) != 0)
                throw Bad(CicdError.InvalidPath, $"Invalid nginx program '{file}': CicdOps runs it as root, so it must belong to root and be writable by nobody else.", file);
        }
        return file;
    }

    private static string ExistingFile(string path, string what)
    {
        var file = AbsolutePlain(path, what);
        if (!File.Exists(file)) throw Bad(CicdError.InvalidPath, $"Invalid {what} '{file}': no such file.", file);
        return file;
    }

    private static string AbsolutePlain(string? path, string what)
    {
        if (string.IsNullOrWhiteSpace(path) || path.Any(char.IsControl) || !Path.IsPathFullyQualified(path) || path.EndsWith('/')
            || Path.GetFullPath(path) != path || path.Length > 4096)
            throw Bad(CicdError.InvalidPath, $"Invalid {what} '{Validation.Names.Printable(path)}': give an absolute path without '.', '..' or a trailing /.", path);
        return path;
    }

    /// <summary>The path with each link on the way replaced by its target (differs from the path when any component is a link).</summary>
    private static string RealPath(string path) => Canonical(path);

    private static string Canonical(string path)
    {
        var current = "/";
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var next = Path.Combine(current, part);
            var target = new FileInfo(next).LinkTarget;
            current = target is null ? next : Path.GetFullPath(target, current);
        }
        return current;
    }

    private static CicdException Bad(CicdError error, string message, object? target) => new(error, message, target);
}
