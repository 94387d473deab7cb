using System.CommandLine;
using System.Globalization;
using CicdOps.Engine;
using CicdOps.Engine.Fleet;
using CicdOps.Fleet;
using CicdOps.Fleet.Sync;

namespace CicdOps.Cli;

/// <summary>
/// `fleet join|leave|status|sync`: this node's membership of a shared registry. The registry's drivers (in
/// CicdOps.Fleet) load only when one of these actions runs. The registry URI carries credentials: it is stored
/// encrypted and only ever printed masked.
/// </summary>
internal static partial class Commands
{
    private static Command Fleet()
    {
        var fleet = new Command("fleet", "The fleet now (with no subcommand); join this server to a registry (PostgreSQL or MongoDB) shared by many servers, and watch it");
        fleet.Add(FleetJoin());
        fleet.Add(FleetLeave());
        fleet.Add(FleetStatus());
        fleet.Add(FleetSyncCommand());
        fleet.Add(FleetWatch());
        AddFleetActions(fleet);
        AddFleetOnce(fleet);
        return fleet;
    }

    private static Command FleetJoin()
    {
        var registry = new Option<string>("--registry")
        {
            Description = "postgres://USER:PASSWORD@HOST/DB or mongodb+srv://USER:PASSWORD@CLUSTER/DB; `-` reads it from stdin "
                + "(an argument is visible to other local users in the process list)",
            HelpName = "URI", Required = true,
        };
        var name = new Option<string?>("--name") { Description = "This node's name in the fleet [default: the hostname]", HelpName = "NAME" };
        var interval = new Option<double?>("--interval") { Description = "Seconds between reports; a node is stale after 3 missed reports [default: 5]", HelpName = "SECONDS" };
        var force = new Option<bool>("--force") { Description = "Join even if the registry cannot be reached now (the node reports once it can)" };
        var cmd = new Command("join", "Join a fleet: store the registry (encrypted), create its schema if needed and publish this node") { registry, name, interval, force };
        Act(cmd, async pr =>
        {
            var uri = pr.GetValue(registry)!;
            if (uri == "-") uri = ReadRegistryFromStdin();
            if (pr.GetValue(interval) is { } sec && !(double.IsFinite(sec) && sec is >= 0.1 and <= 3600))
                throw new CicdException(CicdError.InvalidArgument, "--interval must be between 0.1 and 3600 seconds.", null);
            TimeSpan? every = pr.GetValue(interval) is { } s ? TimeSpan.FromSeconds(s) : null;
            using var engine = Open(pr);
            var (m, node, unreachable) = await FleetMembershipActions.JoinAsync(engine, uri, pr.GetValue(name), every, pr.GetValue(force), "--force", Interrupt.Token);
            Console.Out.WriteLine($"joined the fleet at {m.Registry} as {m.NodeName} (node {node.Id})");
            if (unreachable is not null) Console.Error.WriteLine($"warning: not published yet: {Output.OneLine(unreachable)}");
            Console.Out.WriteLine("The listener service publishes this node every " + m.SyncInterval.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)
                + " s (or run `cicdops fleet sync`).");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static string ReadRegistryFromStdin()
    {
        if (!Console.IsInputRedirected) Console.Error.WriteLine("Enter the registry URI, then Ctrl+D:");
        var bytes = ReadValue();
        try { return System.Text.Encoding.UTF8.GetString(bytes).Trim(); }
        finally { Array.Clear(bytes); }
    }

    private static Command FleetLeave()
    {
        var force = new Option<bool>("--force") { Description = "Forget the registry even if this node cannot be removed from it now (it will show as stale)" };
        var cmd = new Command("leave", "Leave the fleet: remove this node from the registry and forget the registry's credentials") { force };
        Act(cmd, async pr =>
        {
            using var engine = Open(pr);
            var (m, unreachable) = await FleetMembershipActions.LeaveAsync(engine, pr.GetValue(force), "--force", Interrupt.Token);
            Console.Out.WriteLine($"{m.NodeName} left the fleet at {m.Registry}");
            if (unreachable is not null) Console.Error.WriteLine($"warning: the registry still lists this node (as stale): {Output.OneLine(unreachable)}");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command FleetStatus()
    {
        var json = JsonOption();
        var cmd = new Command("status", "This node's fleet membership, and the fleet's nodes and projects as the registry has them") { json };
        Act(cmd, async pr =>
        {
            using var engine = Open(pr);
            var node = engine.GetNodeIdentity();
            var m = engine.GetFleetMembership();
            FleetSnapshot? snapshot = null;
            string? error = null;
            if (m is not null)
            {
                await using var r = FleetConnection.OpenJoined(engine);
                try { snapshot = await r.GetSnapshotAsync(20, Interrupt.Token); }
                catch (CicdException e) when (e.Error == CicdError.FleetRegistryUnavailable) { error = e.Message; }
            }
            if (pr.GetValue(json))
            {
                Output.WriteJson(new { node = new { node.Id, node.Name }, membership = m, registryError = error, fleet = snapshot });
                return error is null ? ExitCodes.Ok : ExitCodes.Error;
            }
            Output.KeyValues(new (string, string?)[]
            {
                ("Node", node.Name), ("Node id", node.Id),
                ("Registry", m is null ? "none (not in a fleet; join with `cicdops fleet join --registry URI`)" : $"{m.Registry} ({m.Backend})"),
                ("Reports every", m is null ? null : m.SyncInterval.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture) + " s"),
            });
            if (error is not null)
            {
                Console.Error.WriteLine("error: " + Output.OneLine(error));
                return ExitCodes.Error;
            }
            if (snapshot is null) return ExitCodes.Ok;
            Console.Out.WriteLine();
            Output.Table(new[] { "NODE", "STATE", "LAST SEEN", "VERSION", "PROJECTS", "CPU", "MEM FREE", "LOAD" },
                snapshot.Nodes.Select(n => (IReadOnlyList<string>)new[]
                {
                    n.Name + (n.Id == node.Id ? " (this)" : ""), n.State.ToString(), Output.Time(n.LastSeen), n.Version,
                    snapshot.Projects.Count(p => p.NodeId == n.Id).ToString(CultureInfo.InvariantCulture),
                    n.Host?.CpuPercent is { } c ? c.ToString("0.#", CultureInfo.InvariantCulture) + "%" : "-",
                    n.Host is { MemoryTotalBytes: > 0 } h ? $"{h.MemoryAvailableBytes >> 20} MiB" : "-",
                    n.Host is { } l ? l.Load1.ToString("0.00", CultureInfo.InvariantCulture) : "-",
                }));
            if (snapshot.Projects.Count == 0) return ExitCodes.Ok;
            Console.Out.WriteLine();
            Output.Table(new[] { "NODE", "PROJECT", "STATUS", "HEALTH", "COMMIT", "PINNED" },
                snapshot.Projects.Select(p => (IReadOnlyList<string>)new[]
                {
                    p.Node, p.Name, p.Status.ToString(), p.Health.ToString(), Output.Short(p.Commit), p.IsPinned ? Output.Short(p.PinnedCommit) : "-",
                }));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command FleetSyncCommand()
    {
        var once = new Option<bool>("--once") { Description = "Publish once and exit (exit code 1 if the registry did not accept it)" };
        var cmd = new Command("sync", "Publish this node to the registry every interval until Ctrl+C (what the listener service does)") { once };
        Act(cmd, async pr =>
        {
            using var engine = Open(pr);
            await using var r = FleetConnection.OpenJoined(engine);
            var sync = FleetConnection.CreateSync(engine, r, line => Console.Error.WriteLine(Output.OneLine(line)));
            if (pr.GetValue(once))
            {
                var ok = await sync.TrySyncOnceAsync(Interrupt.Token);
                if (!ok) Console.Error.WriteLine("error: " + Output.OneLine(sync.LastError));
                else Console.Out.WriteLine($"published {engine.GetNodeIdentity().Name} to {engine.GetFleetMembership()!.Registry}");
                return ok ? ExitCodes.Ok : ExitCodes.Error;
            }
            using (Interrupt.Catch()) await sync.RunAsync(Interrupt.Token);
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
