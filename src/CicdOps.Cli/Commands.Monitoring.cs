using System.CommandLine;
using System.Globalization;
using CicdOps.Engine;

namespace CicdOps.Cli;

/// <summary>`cicdops events` (the watchdog's event log) and `cicdops stats` (the telemetry of every app and the host).</summary>
internal static partial class Commands
{
    private static Command Events()
    {
        var name = new Argument<string?>("NAME") { Description = "Only this project's events", Arity = ArgumentArity.ZeroOrOne };
        var after = new Option<long>("--after") { Description = "Only events after this id (read on from the last id you saw)", HelpName = "ID" };
        var limit = new Option<int>("--limit") { Description = "How many (the newest, unless --after is given)", HelpName = "N", DefaultValueFactory = _ => 50 };
        var json = JsonOption();
        var cmd = new Command("events", "List what the listener's watchdog saw and did: unhealthy apps, restarts, recoveries, giving up") { name, after, limit, json };
        Act(cmd, pr =>
        {
            using var engine = Open(pr);
            var afterId = pr.GetValue(after);
            var list = engine.GetEvents(pr.GetValue(name), afterId, pr.GetValue(limit), newest: afterId == 0);
            if (pr.GetValue(json)) { Output.WriteJson(list); return ExitCodes.Ok; }
            if (list.Count == 0) { Console.Error.WriteLine("No events. The watchdog runs inside the listener (cicdops listen / cicdops service install)."); return ExitCodes.Ok; }
            Output.Table(new[] { "ID", "TIME", "PROJECT", "KIND", "MESSAGE" },
                list.Select(e => (IReadOnlyList<string>)new[]
                {
                    e.Id.ToString(CultureInfo.InvariantCulture), Output.Time(e.At), e.Project, e.Kind.ToString(), e.Message,
                }));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Stats()
    {
        var json = JsonOption();
        var cmd = new Command("stats", "Show each app's processes, CPU, memory, ports, uptime, restarts and health, and the host's figures") { json };
        Act(cmd, async pr =>
        {
            using var engine = Open(pr);
            // Outside the listener CPU needs two samples: take them a second apart.
            engine.GetTelemetry();
            await Task.Delay(TimeSpan.FromSeconds(1));
            var t = engine.GetTelemetry();
            if (pr.GetValue(json)) { Output.WriteJson(t); return ExitCodes.Ok; }
            Output.Telemetry(t);
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
