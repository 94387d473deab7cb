using System.CommandLine;
using System.Globalization;
using CicdOps.Engine;
using CicdOps.Engine.Model;

namespace CicdOps.Cli;

internal static partial class Commands
{
    /// <summary>`cicdops project proxy NAME`: show, set or clear a project's zero-downtime switch through nginx or Caddy.</summary>
    private static Command ProjectProxy()
    {
        var name = NameArgument();
        var ports = new Option<string?>("--ports") { Description = "Two ports the app alternates between, e.g. 8001,8002 ($PORT is the idle one at each deploy)", HelpName = "A,B" };
        var upstream = new Option<string?>("--upstream-file") { Description = "The nginx upstream include file CicdOps owns and rewrites at each switch (absolute; its directory root's)", HelpName = "PATH" };
        var drain = new Option<int?>("--drain") { Description = "Seconds the old app keeps running after the switch [default: 5]", HelpName = "S" };
        var nginx = new Option<string?>("--nginx") { Description = "The nginx program run for -t and -s reload [default: /usr/sbin/nginx]", HelpName = "PATH" };
        var config = new Option<string?>("--nginx-config") { Description = "nginx's main configuration, passed as -c [default: nginx's own]", HelpName = "PATH" };
        var caddyAdmin = new Option<string?>("--caddy-admin") { Description = "Switch through Caddy instead of nginx: its admin API, loopback only", HelpName = "URL" };
        var caddyRoute = new Option<string?>("--caddy-route") { Description = "With --caddy-admin: the \"@id\" of the reverse_proxy handler whose upstreams are switched", HelpName = "ID" };
        var privileged = new Option<bool>("--allow-privileged-port") { Description = "Allow --ports below 1024" };
        var clear = new Option<bool>("--clear", "--off") { Description = "Remove the proxy: deploys stop the old app, then start the new one" };
        var json = JsonOption();
        var cmd = new Command("proxy", "Show or set a project's zero-downtime switch through nginx or Caddy (the new release is health-checked on the idle port before the proxy is pointed at it)")
            { name, ports, upstream, drain, nginx, config, caddyAdmin, caddyRoute, privileged, clear, json };
        var settings = new Option[] { ports, upstream, drain, nginx, config, caddyAdmin, caddyRoute, privileged };
        cmd.Validators.Add(r =>
        {
            var given = settings.Where(o => r.GetResult(o) is not null).ToList();
            if (r.GetResult(clear) is not null && given.Count > 0)
                r.AddError("--clear cannot be used with other proxy options.");
            else if (given.Count > 0 && r.GetResult(upstream) is not null && (r.GetResult(caddyAdmin) ?? r.GetResult(caddyRoute)) is not null)
                r.AddError("Give either --upstream-file (nginx) or --caddy-admin and --caddy-route (Caddy), not both.");
            else if (given.Count > 0 && (r.GetResult(caddyAdmin) ?? r.GetResult(caddyRoute)) is not null
                     && (r.GetResult(ports) is null || r.GetResult(caddyAdmin) is null || r.GetResult(caddyRoute) is null))
                r.AddError("Setting a Caddy proxy needs --ports A,B, --caddy-admin URL and --caddy-route ID.");
            else if (given.Count > 0 && (r.GetResult(caddyAdmin) ?? r.GetResult(caddyRoute)) is null && (r.GetResult(ports) is null || r.GetResult(upstream) is null))
                r.AddError("Setting a proxy needs both --ports A,B and --upstream-file PATH (or --caddy-admin URL and --caddy-route ID).");
        });
        Act(cmd, pr =>
        {
            using var engine = Open(pr);
            var project = pr.GetValue(name)!;
            ProjectProxy? proxy;
            if (pr.GetValue(clear)) { engine.ClearProxy(project); proxy = null; }
            else if (pr.GetValue(caddyAdmin) is { } admin)
            {
                proxy = engine.SetProxy(project, new ProxySpec
                {
                    Ports = ParsePorts(pr.GetValue(ports)!), CaddyAdmin = admin, CaddyRoute = pr.GetValue(caddyRoute),
                    DrainPeriod = Seconds(pr.GetValue(drain)), AllowPrivilegedPort = pr.GetValue(privileged),
                });
            }
            else if (pr.GetValue(upstream) is { } file)
            {
                proxy = engine.SetProxy(project, new ProxySpec
                {
                    Ports = ParsePorts(pr.GetValue(ports)!), UpstreamFile = file, Nginx = pr.GetValue(nginx), NginxConfig = pr.GetValue(config),
                    DrainPeriod = Seconds(pr.GetValue(drain)), AllowPrivilegedPort = pr.GetValue(privileged),
                });
            }
            else proxy = engine.GetProxy(project);
            if (pr.GetValue(json)) { Output.WriteJson(proxy); return ExitCodes.Ok; }
            if (proxy is null)
            {
                Console.Out.WriteLine($"{project}: no proxy (a deploy stops the old app, then starts the new one)");
                return ExitCodes.Ok;
            }
            Console.Out.WriteLine($"{proxy.Project}: {(proxy.Kind == ProxyKind.Caddy ? "caddy" : "nginx")}, ports {proxy.FirstPort} and {proxy.SecondPort} (active: {proxy.ActivePort?.ToString(CultureInfo.InvariantCulture) ?? "none yet"})");
            if (proxy.Kind == ProxyKind.Caddy)
            {
                Console.Out.WriteLine($"  admin API      {proxy.CaddyAdmin}");
                Console.Out.WriteLine($"  route @id      {proxy.CaddyRoute}");
            }
            else
            {
                Console.Out.WriteLine($"  upstream file  {proxy.UpstreamFile}");
                Console.Out.WriteLine($"  nginx          {proxy.Nginx}{(proxy.NginxConfig is { } c ? " -c " + c : "")}");
            }
            Console.Out.WriteLine($"  drain          {proxy.DrainPeriod.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>"A,B" as two ports; anything else is one clear error.</summary>
    private static int[] ParsePorts(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var ports = parts.Select(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1).ToArray();
        if (ports.Length != 2 || ports.Any(p => p < 0))
            throw new CicdException(CicdError.InvalidPort, $"Invalid --ports '{text}': give two ports separated by a comma, e.g. --ports 8001,8002.", text);
        return ports;
    }
}
