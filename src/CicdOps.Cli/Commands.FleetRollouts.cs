using System.CommandLine;
using System.Globalization;
using CicdOps.Engine;
using CicdOps.Fleet.Rollouts;

namespace CicdOps.Cli;

/// <summary>
/// `fleet deploy|pin|unpin|rollback PROJECT` (every node that hosts it, through the registry, optionally in waves) and
/// `fleet rollouts`, `fleet rollout ID` (what was asked, by whom, and each node's outcome).
/// </summary>
internal static partial class Commands
{
    private static void AddFleetActions(Command fleet)
    {
        fleet.Add(FleetAct("deploy", FleetAction.Deploy, "Deploy a project on every node that hosts it (--waves: a canary node first, then batches)"));
        fleet.Add(FleetAct("pin", FleetAction.Pin, "Pin a project on every node that hosts it (to --commit, or each node's current commit)"));
        fleet.Add(FleetAct("unpin", FleetAction.Unpin, "Unpin a project on every node that hosts it"));
        fleet.Add(FleetAct("rollback", FleetAction.Rollback, "Roll a project back on every node that hosts it (to --commit, or each node's previous good commit)"));
        fleet.Add(FleetRollouts());
        fleet.Add(FleetRolloutShow());
    }

    private static Command FleetAct(string verb, FleetAction action, string description)
    {
        var name = NameArgument();
        var json = JsonOption();
        var cmd = new Command(verb, description) { name, json };
        var commit = new Option<string?>("--commit") { Description = "The commit (full or abbreviated SHA)", HelpName = "SHA" };
        var waves = new Option<bool>("--waves") { Description = "One canary node first, then the rest in batches, each after the previous is healthy" };
        var size = new Option<int>("--wave-size") { Description = "Percent of the nodes per wave after the canary [default: 25]", HelpName = "PERCENT", DefaultValueFactory = _ => 25 };
        var undo = new Option<bool>("--rollback-on-failure") { Description = "When a wave fails, put the nodes already done back on what they served before" };
        var timeout = new Option<double>("--wave-timeout")
        {
            Description = "Seconds a wave waits for its nodes; a node without an outcome by then fails the wave [default: 600]", HelpName = "SECONDS",
            DefaultValueFactory = _ => 600,
        };
        if (action != FleetAction.Unpin) cmd.Add(commit);
        if (action == FleetAction.Deploy) { cmd.Add(waves); cmd.Add(size); }
        if (action is FleetAction.Deploy or FleetAction.Rollback) cmd.Add(undo);
        cmd.Add(timeout);
        Act(cmd, async pr =>
        {
            var seconds = pr.GetValue(timeout);
            if (!double.IsFinite(seconds) || seconds is < 1 or > 86400)
                throw new CicdException(CicdError.InvalidArgument, "--wave-timeout must be between 1 and 86400 seconds.");
            using var engine = Open(pr);
            var request = new FleetRolloutRequest
            {
                Project = pr.GetValue(name)!, Action = action, Commit = action == FleetAction.Unpin ? null : pr.GetValue(commit),
                Waves = action == FleetAction.Deploy && pr.GetValue(waves), WaveSize = action == FleetAction.Deploy ? pr.GetValue(size) : 25,
                RollbackOnFailure = action is FleetAction.Deploy or FleetAction.Rollback && pr.GetValue(undo),
                WaveTimeout = TimeSpan.FromSeconds(seconds), RequestedBy = FleetRolloutActions.Requester(engine),
            };
            FleetRolloutDriver.Validate(request, CliOption);
            var asJson = pr.GetValue(json);
            Action<FleetRolloutTarget> progress = t =>
            {
                if (!asJson) Console.Out.WriteLine($"{DateTimeOffset.Now:HH:mm:ss} {TargetLine(t)}");
            };
            FleetRollout rollout;
            using (Interrupt.Catch())
            {
                try { rollout = await FleetRolloutActions.RunAsync(engine, request, progress, Interrupt.Token); }
                catch (OperationCanceledException) when (Interrupt.Requested)
                {
                    Console.Error.WriteLine("stopped: the rollout is recorded as Cancelled; requests the nodes already took go on");
                    return ExitCodes.Interrupted;
                }
            }
            if (asJson) Output.WriteJson(rollout);
            else Console.Out.WriteLine($"rollout {rollout.Id}: {rollout.Status}" + (rollout.Reason is { } r ? $": {Output.OneLine(r)}" : ""));
            return rollout.Status switch
            {
                FleetRolloutStatus.Succeeded => ExitCodes.Ok,
                FleetRolloutStatus.RolledBack => ExitCodes.RolledBack,
                FleetRolloutStatus.Cancelled => ExitCodes.Cancelled,
                _ => ExitCodes.DeploymentFailed,
            };
        });
        return cmd;
    }

    private static string CliOption(string option) => option switch
    {
        "WaveSize" => "--wave-size",
        "WaveTimeout" => "--wave-timeout",
        "RollbackOnFailure" => "--rollback-on-failure",
        "Commit" => "--commit",
        _ => option,
    };

    private static string TargetLine(FleetRolloutTarget t) =>
        $"{(t.Kind == FleetTargetKind.Revert ? "revert" : "wave " + t.Wave.ToString(CultureInfo.InvariantCulture))} {t.Node}: {t.Status}"
        + (t.ResultCommit is { } c && t.IsFinished ? $" at {Output.Short(c)}" : t.Commit is { } asked && !t.IsFinished ? $" ({Output.Short(asked)})" : "")
        + (t.Reason is { } r ? $" — {Output.OneLine(r)}" : "");

    private static Command FleetRollouts()
    {
        var project = new Option<string?>("--project") { Description = "Only this project's rollouts", HelpName = "NAME" };
        var limit = new Option<int>("--limit") { Description = "How many, newest first", HelpName = "N", DefaultValueFactory = _ => 20 };
        var json = JsonOption();
        var cmd = new Command("rollouts", "Fleet actions recorded in the registry, newest first: who asked, waves, outcome") { project, limit, json };
        Act(cmd, async pr =>
        {
            using var engine = Open(pr);
            var list = await FleetRolloutActions.ListAsync(engine, pr.GetValue(project), pr.GetValue(limit), Interrupt.Token);
            if (pr.GetValue(json)) { Output.WriteJson(list); return ExitCodes.Ok; }
            Output.Table(new[] { "ID", "REQUESTED", "BY", "ACTION", "PROJECT", "COMMIT", "WAVES", "NODES", "STATUS", "REASON" },
                list.Select(r => (IReadOnlyList<string>)new[]
                {
                    r.Id, Output.Time(r.RequestedAt), r.RequestedBy, r.Action.ToString(), r.Project, Output.Short(r.Commit),
                    r.WaveCount.ToString(CultureInfo.InvariantCulture),
                    $"{r.Targets.Count(t => t.Kind == FleetTargetKind.Action && t.Status == FleetTargetStatus.Succeeded)}/{r.Targets.Count(t => t.Kind == FleetTargetKind.Action)}",
                    r.Status.ToString(), Output.OneLine(r.Reason ?? "-"),
                }));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command FleetRolloutShow()
    {
        var id = new Argument<string>("ID") { Description = "The rollout's id (from `fleet rollouts`)" };
        var json = JsonOption();
        var cmd = new Command("rollout", "One fleet rollout: what was asked, by whom, and each node's outcome wave by wave") { id, json };
        Act(cmd, async pr =>
        {
            using var engine = Open(pr);
            var r = await FleetRolloutActions.GetAsync(engine, pr.GetValue(id)!, Interrupt.Token);
            if (pr.GetValue(json)) { Output.WriteJson(r); return ExitCodes.Ok; }
            Output.KeyValues(new (string, string?)[]
            {
                ("Rollout", r.Id), ("Project", r.Project), ("Action", r.Action.ToString()), ("Commit", r.Commit ?? "-"),
                ("Requested by", r.RequestedBy), ("Requested", Output.Time(r.RequestedAt)),
                ("Waves", r.Waves ? $"canary, then {r.WaveSize}% per wave ({r.WaveCount} waves)" : "all nodes at once"),
                ("Rollback on failure", r.RollbackOnFailure ? "yes" : "no"),
                ("Wave timeout", r.WaveTimeout.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture) + " s"),
                ("Status", r.Status.ToString()), ("Reason", r.Reason), ("Finished", r.FinishedAt is { } f ? Output.Time(f) : null),
            });
            Console.Out.WriteLine();
            Output.Table(new[] { "WAVE", "NODE", "KIND", "STATUS", "BEFORE", "AFTER", "DEPLOYMENT", "REASON" },
                r.Targets.Select(t => (IReadOnlyList<string>)new[]
                {
                    t.Wave.ToString(CultureInfo.InvariantCulture), t.Node, t.Kind.ToString(), t.Status.ToString(), Output.Short(t.PreviousCommit),
                    Output.Short(t.ResultCommit), t.DeploymentId?.ToString(CultureInfo.InvariantCulture) ?? "-", Output.OneLine(t.Reason ?? "-"),
                }));
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
