using System.CommandLine;
using System.Globalization;
using CicdOps.Engine;
using CicdOps.Engine.Notifications;

namespace CicdOps.Cli;

/// <summary>
/// `notify add|list|set|remove|history|test`: notification channels. URLs, signing secrets and SMTP passwords are
/// stored sealed and never printed; a secret URL can come from stdin (`--url -`) so it stays out of `ps` and history.
/// </summary>
internal static partial class Commands
{
    private static Command Notify()
    {
        var notify = new Command("notify", "Send deploy, pipeline, watchdog and security events to chat (Slack, Discord, Teams), a signed webhook or email");
        notify.Add(NotifyAdd());
        notify.Add(NotifyList());
        notify.Add(NotifySet());
        notify.Add(NotifyRemove());
        notify.Add(NotifyHistory());
        notify.Add(NotifyTest());
        return notify;
    }

    private static Argument<string> ChannelArgument() => new("NAME") { Description = "The channel name: lowercase letters, digits, '-' and '_'" };

    /// <summary>The options `add` and `set` share, and how to read them into a spec.</summary>
    private sealed class ChannelOptions
    {
        public readonly Option<string?> Url = new("--url")
            { Description = "https:// webhook URL (http:// only to loopback), smtp://HOST[:PORT] (STARTTLS) or smtps://HOST[:PORT] (TLS); '-' reads it from stdin", HelpName = "URL" };
        public readonly Option<string?> SecretFile = new("--secret-file")
            { Description = "A file holding the webhook's HMAC-SHA256 signing secret (at least 16 characters; receivers verify X-Cicd-Signature with it)", HelpName = "FILE" };
        public readonly Option<string[]> Events = new("--events")
            { Description = "Only these events (comma-separated or repeated): " + string.Join(", ", NotificationEventNames.Subscribable.Select(k => k.ToName())) + " [default: all]", HelpName = "EVENT", AllowMultipleArgumentsPerToken = true };
        public readonly Option<string[]> Projects = new("--projects")
            { Description = "Only events of these projects (comma-separated or repeated) [default: all, plus events of no project]", HelpName = "PROJECT", AllowMultipleArgumentsPerToken = true };
        public readonly Option<string?> MinInterval = new("--min-interval")
            { Description = "Fold repeats of one event on one project within this interval into one summary (30s, 10m, 2h, 1d; 0 sends all) [default: 10m]", HelpName = "DURATION" };
        public readonly Option<string?> From = new("--from") { Description = "Email: the sender address", HelpName = "ADDRESS" };
        public readonly Option<string[]> To = new("--to") { Description = "Email: a recipient (repeatable)", HelpName = "ADDRESS", AllowMultipleArgumentsPerToken = true };
        public readonly Option<string?> User = new("--user") { Description = "Email: the SMTP login", HelpName = "USER" };
        public readonly Option<string?> PasswordFile = new("--password-file") { Description = "Email: a file holding the SMTP password", HelpName = "FILE" };
        public readonly Option<string?> Tls = new("--tls") { Description = "Email: starttls, tls or none (none only without a password, or to loopback) [default: from the URL's scheme]", HelpName = "MODE" };
        public readonly Option<string?> CaFile = new("--ca-file") { Description = "Trust the certificates in this PEM file for the channel's TLS instead of the system's ('' to undo)", HelpName = "FILE" };

        public ChannelOptions()
        {
            Tls.AcceptOnlyFromAmong("starttls", "tls", "none");
            Events.CompletionSources.Add(_ => NotificationEventNames.Subscribable.Select(k => new System.CommandLine.Completions.CompletionItem(k.ToName())));
        }

        public void AddTo(Command cmd)
        {
            foreach (var o in new Option[] { Url, SecretFile, Events, Projects, MinInterval, From, To, User, PasswordFile, Tls, CaFile }) cmd.Add(o);
        }

        public NotificationChannelSpec Read(ParseResult pr, NotificationChannelType? type)
        {
            var url = pr.GetValue(Url);
            if (url == "-") url = Console.In.ReadLine()?.Trim() ?? throw new CicdException(CicdError.InvalidArgument, "--url - reads the URL from stdin, which was empty.", null);
            return new NotificationChannelSpec
            {
                Type = type,
                Url = url,
                SigningSecret = ReadFile(pr.GetValue(SecretFile), "--secret-file"),
                Events = List(pr.GetValue(Events)) is { } ev ? ev.Select(NotificationEventNames.Parse).ToArray() : null,
                Projects = List(pr.GetValue(Projects)),
                MinInterval = pr.GetValue(MinInterval) is { } i ? ParseDuration(i) : null,
                From = pr.GetValue(From),
                To = List(pr.GetValue(To)),
                SmtpUser = pr.GetValue(User),
                SmtpPassword = ReadFile(pr.GetValue(PasswordFile), "--password-file"),
                SmtpSecurity = pr.GetValue(Tls) switch { "starttls" => SmtpSecurity.StartTls, "tls" => SmtpSecurity.Tls, "none" => SmtpSecurity.None, _ => null },
                CaFile = pr.GetValue(CaFile),
            };
        }

        private static string[]? List(string[]? values) =>
            values is null || values.Length == 0 ? null : values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();

        private static string? ReadFile(string? path, string option)
        {
            if (path is null) return null;
            try { return File.ReadAllText(path).TrimEnd('\r', '\n'); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CicdException(CicdError.InvalidArgument, $"Cannot read {option} '{path}': {e.Message}", path);
            }
        }
    }

    /// <summary>"0", "90s", "10m", "2h", "1d" (or a plain number of seconds).</summary>
    internal static TimeSpan ParseDuration(string text)
    {
        var t = text.Trim().ToLowerInvariant();
        var unit = t.Length > 0 && char.IsLetter(t[^1]) ? t[^1] : 's';
        var number = char.IsLetter(t.LastOrDefault()) ? t[..^1] : t;
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) || n < 0 || unit is not ('s' or 'm' or 'h' or 'd'))
            throw new CicdException(CicdError.InvalidArgument, $"'{text}' is not a duration; use e.g. 0, 30s, 10m, 2h or 1d.", text);
        return unit switch { 'm' => TimeSpan.FromMinutes(n), 'h' => TimeSpan.FromHours(n), 'd' => TimeSpan.FromDays(n), _ => TimeSpan.FromSeconds(n) };
    }

    private static Command NotifyAdd()
    {
        var name = ChannelArgument();
        var type = new Option<string>("--type") { Description = "webhook (generic JSON, HMAC-signed), slack, discord, teams (workflow webhook) or email", Required = true, HelpName = "TYPE" };
        type.AcceptOnlyFromAmong("webhook", "slack", "discord", "teams", "email");
        var options = new ChannelOptions();
        var json = JsonOption();
        var cmd = new Command("add", "Add a notification channel (its URL, secret and password are stored encrypted and never shown)") { name, type };
        options.AddTo(cmd);
        cmd.Add(json);
        Act(cmd, pr =>
        {
            using var engine = Open(pr);
            var ch = engine.AddNotificationChannel(pr.GetValue(name)!, options.Read(pr, Enum.Parse<NotificationChannelType>(pr.GetValue(type)!, ignoreCase: true)));
            if (pr.GetValue(json)) Output.WriteJson(ch);
            else Console.Out.WriteLine($"{ch.Name}: {ch.Type.ToString().ToLowerInvariant()} channel added ({ch.Target}); try it with `cicdops notify test {ch.Name}`");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command NotifySet()
    {
        var name = ChannelArgument();
        var options = new ChannelOptions();
        var allEvents = new Option<bool>("--all-events") { Description = "Drop the event filter (receive every event)" };
        var allProjects = new Option<bool>("--all-projects") { Description = "Drop the project filter (receive every project's events)" };
        var json = JsonOption();
        var cmd = new Command("set", "Change a channel; what is not given stays as it is (a new URL or secret also retries it at once)") { name };
        options.AddTo(cmd);
        cmd.Add(allEvents);
        cmd.Add(allProjects);
        cmd.Add(json);
        cmd.Validators.Add(r =>
        {
            if (r.GetResult(allEvents) is not null && r.GetResult(options.Events) is not null) r.AddError("--all-events and --events cannot be used together.");
            if (r.GetResult(allProjects) is not null && r.GetResult(options.Projects) is not null) r.AddError("--all-projects and --projects cannot be used together.");
        });
        Act(cmd, pr =>
        {
            using var engine = Open(pr);
            var spec = options.Read(pr, null);
            if (pr.GetValue(allEvents)) spec = spec with { Events = [] };
            if (pr.GetValue(allProjects)) spec = spec with { Projects = [] };
            var ch = engine.SetNotificationChannel(pr.GetValue(name)!, spec);
            if (pr.GetValue(json)) Output.WriteJson(ch);
            else Console.Out.WriteLine($"{ch.Name}: updated ({ch.Target})");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command NotifyList()
    {
        var json = JsonOption();
        var cmd = new Command("list", "List notification channels: target (secrets masked), filters, and whether they deliver") { json };
        Act(cmd, pr =>
        {
            using var engine = Open(pr);
            var list = engine.GetNotificationChannels();
            if (pr.GetValue(json)) { Output.WriteJson(list); return ExitCodes.Ok; }
            Output.Table(new[] { "NAME", "TYPE", "TARGET", "EVENTS", "PROJECTS", "INTERVAL", "PENDING", "STATE" }, list.Select(c => (IReadOnlyList<string>)new[]
            {
                c.Name, c.Type.ToString().ToLowerInvariant(), c.Target,
                c.Events.Count == 0 ? "all" : string.Join(",", c.Events.Select(e => e.ToName())),
                c.Projects.Count == 0 ? "all" : string.Join(",", c.Projects),
                Output.Span(c.MinInterval), c.Pending.ToString(CultureInfo.InvariantCulture),
                c.FailingSince is { } since ? $"failing since {Output.Time(since)}: {c.LastError}" : "ok",
            }));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command NotifyRemove()
    {
        var name = ChannelArgument();
        var cmd = new Command("remove", "Remove a channel with its pending and past messages") { name };
        Act(cmd, pr =>
        {
            using var engine = Open(pr);
            engine.RemoveNotificationChannel(pr.GetValue(name)!);
            Console.Out.WriteLine($"{pr.GetValue(name)}: channel removed");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command NotifyHistory()
    {
        var name = new Argument<string?>("NAME") { Description = "Only this channel [default: all]", Arity = ArgumentArity.ZeroOrOne };
        var limit = new Option<int>("--limit") { Description = "How many, newest first", HelpName = "N", DefaultValueFactory = _ => 20 };
        var json = JsonOption();
        var cmd = new Command("history", "Show recent messages per channel: sent, pending (with the last error), suppressed repeats, given up") { name, limit, json };
        Act(cmd, pr =>
        {
            using var engine = Open(pr);
            var list = engine.GetNotificationHistory(pr.GetValue(name), pr.GetValue(limit));
            if (pr.GetValue(json)) { Output.WriteJson(list); return ExitCodes.Ok; }
            Output.Table(new[] { "ID", "CHANNEL", "STATUS", "CREATED", "ATTEMPTS", "MESSAGE" }, list.Select(d => (IReadOnlyList<string>)new[]
            {
                d.Id.ToString(CultureInfo.InvariantCulture), d.Channel, d.Status.ToString(), Output.Time(d.CreatedAt), d.Attempts.ToString(CultureInfo.InvariantCulture),
                d.Text + (d.LastError is { } e ? $" (last error: {e})" : ""),
            }));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command NotifyTest()
    {
        var name = ChannelArgument();
        var json = JsonOption();
        var cmd = new Command("test", "Send a test message now and print the channel's answer (exit code 1 when it did not take it)") { name, json };
        Act(cmd, async pr =>
        {
            using var engine = Open(pr);
            var r = await engine.TestNotificationChannelAsync(pr.GetValue(name)!);
            if (pr.GetValue(json)) Output.WriteJson(r);
            else if (r.Success) Console.Out.WriteLine($"{r.Channel}: test message sent ({r.Answer}) in {Output.Span(r.Duration)}");
            else Console.Error.WriteLine($"cicdops: {r.Channel}: the test message was not delivered: {r.Answer}");
            return r.Success ? ExitCodes.Ok : ExitCodes.Error;
        });
        return cmd;
    }
}
