using System.Globalization;
using CicdOps.Engine.State;
using Microsoft.Data.Sqlite;

namespace CicdOps.Engine.Proxy;

/// <summary>
/// A project's proxy setting: one row of project_proxies (schema v14). Earlier versions kept it in a root-only
/// file per project, <c>&lt;data&gt;/proxy/NAME</c> (key=value lines); such files are moved into the table (and
/// removed) the first time this store reads proxies, so an upgraded engine keeps every project's switch.
/// </summary>
internal static class ProxyStore
{
    private static string LegacyDirectory(DataLayout layout) => Path.Combine(layout.Root, "proxy");

    public static ProjectProxy? Load(EngineContext ctx, string project)
    {
        MoveLegacyFiles(ctx);
        return ctx.Db.Read(c => c.Query("SELECT * FROM project_proxies WHERE project=$p", Map, ("$p", project)).FirstOrDefault());
    }

    public static IReadOnlyList<ProjectProxy> All(EngineContext ctx)
    {
        MoveLegacyFiles(ctx);
        return ctx.Db.Read(c => c.Query("SELECT * FROM project_proxies ORDER BY project", Map));
    }

    public static void Save(EngineContext ctx, ProjectProxy p) => ctx.Db.Write(c => Upsert(c, p));

    public static void Delete(EngineContext ctx, string project)
    {
        MoveLegacyFiles(ctx);
        ctx.Db.Write(c => c.Execute("DELETE FROM project_proxies WHERE project=$p", ("$p", project)));
    }

    private static void Upsert(SqliteConnection c, ProjectProxy p) => c.Execute("""
        INSERT INTO project_proxies (project, kind, first_port, second_port, upstream_file, nginx, nginx_config, caddy_admin, caddy_route, drain_ms, active_port)
        VALUES ($p, $k, $a, $b, $u, $n, $nc, $ca, $cr, $d, $ap)
        ON CONFLICT(project) DO UPDATE SET kind=excluded.kind, first_port=excluded.first_port, second_port=excluded.second_port,
            upstream_file=excluded.upstream_file, nginx=excluded.nginx, nginx_config=excluded.nginx_config,
            caddy_admin=excluded.caddy_admin, caddy_route=excluded.caddy_route, drain_ms=excluded.drain_ms, active_port=excluded.active_port
        """,
        ("$p", p.Project), ("$k", p.Kind.ToString()), ("$a", p.FirstPort), ("$b", p.SecondPort), ("$u", p.UpstreamFile),
        ("$n", p.Nginx), ("$nc", p.NginxConfig), ("$ca", p.CaddyAdmin), ("$cr", p.CaddyRoute), ("$d", (long)p.DrainPeriod.TotalMilliseconds),
        ("$ap", p.ActivePort));

    private static ProjectProxy Map(SqliteDataReader r) => new()
    {
        Project = r.Str("project")!,
        Kind = Enum.Parse<ProxyKind>(r.Str("kind")!),
        FirstPort = (int)r.Long("first_port")!.Value,
        SecondPort = (int)r.Long("second_port")!.Value,
        UpstreamFile = r.Str("upstream_file")!,
        Nginx = r.Str("nginx")!,
        NginxConfig = r.Str("nginx_config"),
        CaddyAdmin = r.Str("caddy_admin"),
        CaddyRoute = r.Str("caddy_route"),
        DrainPeriod = TimeSpan.FromMilliseconds(r.Long("drain_ms")!.Value),
        ActivePort = r.Long("active_port") is { } active ? (int)active : null,
    };

    /// <summary>Settings stored as files by earlier versions become rows (a row already there wins); the files go.</summary>
    private static void MoveLegacyFiles(EngineContext ctx)
    {
        var dir = LegacyDirectory(ctx.Layout);
        if (!Directory.Exists(dir)) return;
        foreach (var file in Directory.GetFiles(dir).Where(f => !Path.GetFileName(f).StartsWith('.')))
        {
            if (ParseLegacy(file, Path.GetFileName(file)) is { } p)
                ctx.Db.Write(c => c.Execute("INSERT OR IGNORE INTO project_proxies (project, kind, first_port, second_port, upstream_file, nginx, nginx_config, drain_ms, active_port) " +
                    "VALUES ($p, $k, $a, $b, $u, $n, $nc, $d, $ap)",
                    ("$p", p.Project), ("$k", p.Kind.ToString()), ("$a", p.FirstPort), ("$b", p.SecondPort), ("$u", p.UpstreamFile),
                    ("$n", p.Nginx), ("$nc", p.NginxConfig), ("$d", (long)p.DrainPeriod.TotalMilliseconds), ("$ap", p.ActivePort)));
            File.Delete(file);
        }
        try { Directory.Delete(dir); } catch (IOException) { }
    }

    /// <summary>The key=value file earlier versions wrote (validated before it was written); null when it cannot be read.</summary>
    internal static ProjectProxy? ParseLegacy(string file, string project)
    {
        try
        {
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
        catch (Exception e) when (e is IOException or FormatException or KeyNotFoundException or ArgumentException) { return null; }
    }
}
