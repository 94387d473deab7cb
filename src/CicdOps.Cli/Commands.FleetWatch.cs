using System.CommandLine;
using System.Globalization;
using CicdOps.Engine.Fleet;
using CicdOps.Fleet.Watch;

namespace CicdOps.Cli;

/// <summary>
/// `cicdops fleet` (the fleet now) and `cicdops fleet watch` (live): the registry's fleet when this node joined one,
/// this server alone otherwise. On a terminal the watch redraws a table; otherwise (or with --json) it writes one
/// line per change, so scripts can read it as it comes.
/// </summary>
internal static partial class Commands
{
    private static Option<string?> FleetNodeOption() => new("--node") { Description = "Only this node (exact name)", HelpName = "NAME" };
    private static Option<string?> FleetProjectOption() => new("--project") { Description = "Only this project (exact name)", HelpName = "NAME" };

    /// <summary>The action of `cicdops fleet` itself: the fleet once.</summary>
    private static void AddFleetOnce(Command fleet)
    {
        var json = new Option<bool>("--json") { Description = "One JSON object per line (node and project rows)" };
        var node = FleetNodeOption();
        var project = FleetProjectOption();
        fleet.Add(json); fleet.Add(node); fleet.Add(project);
        Act(fleet, async pr =>
        {
            using var engine = Open(pr);
            await using var watcher = FleetWatcher.Open(engine, line => Console.Error.WriteLine(Output.OneLine(line)));
            var filter = RowFilter(pr.GetValue(node), pr.GetValue(project));
            var rows = (await watcher.SnapshotAsync(Interrupt.Token)).Where(filter).ToList();
            if (pr.GetValue(json))
            {
                foreach (var r in rows) Console.Out.WriteLine(FleetJson.Serialize(r));
                return ExitCodes.Ok;
            }
            Console.Out.WriteLine($"Fleet ({watcher.Source}) at {Output.Time(DateTimeOffset.UtcNow)}");
            FleetTable(rows);
            return ExitCodes.Ok;
        });
    }

    private static Command FleetWatch()
    {
        var json = new Option<bool>("--json") { Description = "One JSON object per change, one per line (for scripts)" };
        var node = FleetNodeOption();
        var project = FleetProjectOption();
        var cmd = new Command("watch", "Watch the fleet live until Ctrl+C: a table redrawn on each change (or one line per change when not a terminal)")
            { json, node, project };
        Act(cmd, async pr =>
        {
            using var engine = Open(pr);
            await using var watcher = FleetWatcher.Open(engine, line => Console.Error.WriteLine(Output.OneLine(line)));
            var filter = RowFilter(pr.GetValue(node), pr.GetValue(project));
            var live = !pr.GetValue(json) && !Console.IsOutputRedirected;
            using (Interrupt.Catch())
            {
                try
                {
                    // Listening first, then the snapshot: a change in between is seen twice at worst, never missed.
                    var changes = watcher.WatchAsync(Interrupt.Token).GetAsyncEnumerator(Interrupt.Token);
                    var next = changes.MoveNextAsync().AsTask();
                    var state = new FleetWatchTable(watcher.Source);
                    foreach (var row in (await watcher.SnapshotAsync(Interrupt.Token)).Where(filter))
                    {
                        if (live) state.Apply(row);
                        else WriteChange(row, pr.GetValue(json));
                    }
                    if (live) state.Redraw();
                    while (await next)
                    {
                        var row = changes.Current;
                        next = changes.MoveNextAsync().AsTask();
                        if (!filter(row)) continue;
                        if (live) { state.Apply(row); state.Redraw(); }
                        else WriteChange(row, pr.GetValue(json));
                    }
                    await changes.DisposeAsync();
                }
                catch (OperationCanceledException) when (Interrupt.Requested) { }
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Func<FleetUpdate, bool> RowFilter(string? node, string? project) =>
        u => (node is null || u.Node == node) && (project is null || u.Project == project);

    private static void WriteChange(FleetUpdate u, bool json)
    {
        Console.Out.WriteLine(json ? FleetJson.Serialize(u)
            : $"{Output.Time(u.At)} {u.Node} {u.Project ?? "-"} {u.Kind} status={u.Status?.ToString() ?? "-"} health={u.Health} commit={Output.Short(u.Commit)}"
              + (u.Event is { } e ? " " + Output.OneLine(e) : ""));
        Console.Out.Flush();
    }

    internal static void FleetTable(IReadOnlyList<FleetUpdate> rows)
    {
        var nodes = rows.Where(r => r.Kind == FleetUpdateKind.Node).ToList();
        Output.Table(new[] { "NODE", "STATE", "CPU", "MEM USED" }, nodes.Select(n => (IReadOnlyList<string>)new[]
        {
            n.Node, n.NodeState.ToString(), Percent(n.CpuPercent), Mib(n.MemoryBytes),
        }));
        var projects = rows.Where(r => r.Kind == FleetUpdateKind.Project).ToList();
        if (projects.Count == 0) return;
        Console.Out.WriteLine();
        Output.Table(new[] { "NODE", "PROJECT", "STATUS", "HEALTH", "COMMIT", "CPU", "MEM" }, projects.Select(p => (IReadOnlyList<string>)new[]
        {
            p.Node + (p.NodeState == FleetNodeState.Stale ? " (stale)" : ""), p.Project!, p.Status?.ToString() ?? "-", p.Health.ToString(),
            Output.Short(p.Commit), Percent(p.CpuPercent), Mib(p.MemoryBytes),
        }));
    }

    private static string Percent(double? v) => v is { } c ? c.ToString("0.#", CultureInfo.InvariantCulture) + "%" : "-";
    private static string Mib(long? bytes) => bytes is { } b ? $"{b >> 20} MiB" : "-";
}

/// <summary>The live table of `fleet watch` on a terminal: the latest row per node and project, and recent events.</summary>
internal sealed class FleetWatchTable(string source)
{
    private readonly SortedDictionary<string, FleetUpdate> _rows = new(StringComparer.Ordinal);
    private readonly Queue<string> _events = new();

    public void Apply(FleetUpdate u)
    {
        var key = u.NodeId + "\0" + (u.Project ?? "");
        switch (u.Kind)
        {
            case FleetUpdateKind.Node or FleetUpdateKind.Project:
                _rows[key] = u;
                foreach (var k in _rows.Keys.Where(k => k.StartsWith(u.NodeId + "\0", StringComparison.Ordinal)).ToList())
                    _rows[k] = _rows[k] with { NodeState = u.NodeState };
                break;
            case FleetUpdateKind.ProjectRemoved:
                _rows.Remove(key);
                break;
            case FleetUpdateKind.NodeRemoved:
                foreach (var k in _rows.Keys.Where(k => k.StartsWith(u.NodeId + "\0", StringComparison.Ordinal)).ToList()) _rows.Remove(k);
                break;
        }
        if (u.Event is { } e)
        {
            _events.Enqueue($"{Output.Time(u.At)}  {u.Node}  {u.Project ?? ""}  {Output.OneLine(e)}");
            while (_events.Count > 10) _events.Dequeue();
        }
    }

    public void Redraw()
    {
        // Home and clear, then the whole table: simple, and correct whatever the terminal's size.
        Console.Out.Write("\x1b[H\x1b[2J");
        Console.Out.WriteLine($"Fleet ({source}) at {Output.Time(DateTimeOffset.UtcNow)}; Ctrl+C to stop");
        Console.Out.WriteLine();
        Commands.FleetTable(_rows.Values.ToList());
        if (_events.Count > 0)
        {
            Console.Out.WriteLine();
            Console.Out.WriteLine("Recent:");
            foreach (var e in _events) Console.Out.WriteLine("  " + e);
        }
        Console.Out.Flush();
    }
}
