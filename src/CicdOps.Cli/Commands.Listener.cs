using System.CommandLine;
using System.Text;
using CicdOps.Engine;
using CicdOps.Engine.Listener;
using CicdOps.Engine.Service;

namespace CicdOps.Cli;

/// <summary>The listener as a service: `listen`, `deliveries`, `service install`.</summary>
internal static partial class Commands
{
    private const string SecretEnvironmentVariable = "CICDOPS_WEBHOOK_SECRET";

    private static Command Listen()
    {
        var port = new Option<int>("--port") { Description = "The port to listen on", HelpName = "N", DefaultValueFactory = _ => ListenerOptions.DefaultPort };
        var bind = new Option<string>("--bind")
        {
            Description = "The address to bind: + for all interfaces, or e.g. 127.0.0.1 behind a reverse proxy",
            HelpName = "ADDR", DefaultValueFactory = _ => ListenerOptions.AllInterfaces,
        };
        var secret = new Option<string?>("--webhook-secret")
        {
            Description = $"The webhook secret (visible to other users in the process list: prefer --webhook-secret-file or ${SecretEnvironmentVariable})",
            HelpName = "SECRET",
        };
        var secretFile = new Option<string?>("--webhook-secret-file") { Description = "A file holding the webhook secret, the HMAC key of GitHub, Gitea, Forgejo and Bitbucket (trailing newline ignored)", HelpName = "FILE" };
        var gitlabFile = new Option<string?>("--gitlab-token-file")
        {
            Description = $"A file holding the token GitLab sends (or ${GitLabTokenEnvironmentVariable}); must differ from the webhook secret, since GitLab sends it in clear",
            HelpName = "FILE",
        };
        var allowUnsigned = new Option<bool>("--allow-unsigned") { Description = "Accept unsigned deliveries for projects without a secret (never implied, not even on 127.0.0.1)" };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "Serve HTTPS with this PEM certificate (chain); re-read when it changes", HelpName = "FILE" };
        var tlsKey = new Option<string?>("--tls-key") { Description = "The PEM private key of --tls-cert", HelpName = "FILE" };
        var retentionDays = new Option<int>("--retention-days") { Description = "Prune recorded deliveries older than this many days", HelpName = "N", DefaultValueFactory = _ => 30 };
        var retentionRows = new Option<int>("--retention-rows") { Description = "Keep at most this many recorded deliveries", HelpName = "N", DefaultValueFactory = _ => 100_000 };
        var grace = new Option<int>("--shutdown-grace")
        {
            Description = "Seconds running deployments get to finish when the service stops", HelpName = "S",
            DefaultValueFactory = _ => (int)CicdEngine.DefaultShutdownGrace.TotalSeconds,
        };
        var sampleInterval = new Option<int>("--sample-interval")
        {
            Description = "Seconds between telemetry samples; the watchdog checks each app's process at every sample", HelpName = "S",
            DefaultValueFactory = _ => 3,
        };
        var noWatchdog = new Option<bool>("--no-watchdog") { Description = "Sample telemetry but never mark apps Unhealthy or restart them" };
        // For a parent that owns the listener (the PowerShell module): its death closes our stdin, and we stop.
        var stdinOwner = new Option<bool>("--stop-when-stdin-closes") { Description = "Stop (gracefully) when standard input reaches end-of-file", Hidden = true };
        // Tests and proxies with short idle timeouts: how often an open /api/stream/fleet gets a heartbeat.
        var heartbeat = new Option<double>("--api-heartbeat")
        {
            Description = "Seconds between heartbeats on /api/stream/fleet", HelpName = "S", DefaultValueFactory = _ => 15,
        };
        var dashboard = new Option<bool>("--dashboard") { Description = "Serve the web dashboard under / (sign in with `cicdops dashboard login`)" };
        var insecureDashboard = new Option<bool>("--allow-insecure-dashboard")
        {
            Description = "Serve the dashboard over plain HTTP on a non-loopback address (its cookies and pages then cross the network in clear)",
        };
        var cmd = new Command("listen", "Run the webhook listener in the foreground until Ctrl+C or SIGTERM (port 9641)")
            { port, bind, secret, secretFile, gitlabFile, allowUnsigned, tlsCert, tlsKey, retentionDays, retentionRows, grace, sampleInterval, noWatchdog, stdinOwner, heartbeat, dashboard, insecureDashboard };
        Act(cmd, async pr =>
        {
            if (pr.GetValue(retentionDays) < 1 || pr.GetValue(retentionRows) < 1)
                throw new CicdException(CicdError.InvalidArgument, "--retention-days and --retention-rows must be positive.");
            CheckSampleInterval(pr.GetValue(sampleInterval));
            if ((pr.GetValue(tlsCert) is null) != (pr.GetValue(tlsKey) is null))
                throw new CicdException(CicdError.InvalidArgument, "Give both --tls-cert and --tls-key, or neither.");
            var options = new ListenerOptions
            {
                Port = pr.GetValue(port),
                BindAddress = pr.GetValue(bind)!,
                Secret = ReadSecret(pr.GetValue(secret), pr.GetValue(secretFile)),
                GitLabToken = ReadGitLabToken(pr.GetValue(gitlabFile)),
                AllowUnsigned = pr.GetValue(allowUnsigned),
                TlsCertificateFile = pr.GetValue(tlsCert),
                TlsKeyFile = pr.GetValue(tlsKey),
                DeliveryRetention = TimeSpan.FromDays(pr.GetValue(retentionDays)),
                DeliveryRetentionRows = pr.GetValue(retentionRows),
            };
            if (options.Validate() is { } refusal) throw new CicdException(CicdError.InvalidArgument, CliWording(refusal));
            if (DashboardRefusal(options, pr.GetValue(dashboard), pr.GetValue(insecureDashboard)) is { } no)
                throw new CicdException(CicdError.InvalidArgument, no);
            if (!(pr.GetValue(heartbeat) is var beat && double.IsFinite(beat) && beat is >= 0.05 and <= 3600))
                throw new CicdException(CicdError.InvalidArgument, "--api-heartbeat must be between 0.05 and 3600 seconds.");
            // The service runs its deployments itself, so a graceful stop can let them finish.
            var dataPath = DataDirectory.Resolve(pr.GetValue(DataDir));
            using var engine = CicdEngine.Open(new EngineOptions
            {
                DataPath = dataPath, LogPumpCommand = LogPumpCommand.Argv(dataPath),
                Watchdog = new WatchdogOptions { SampleInterval = TimeSpan.FromSeconds(pr.GetValue(sampleInterval)), Enabled = !pr.GetValue(noWatchdog) },
            });
            using (Interrupt.Catch())
            using (var stop = CancellationTokenSource.CreateLinkedTokenSource(Interrupt.Token))
            {
                if (pr.GetValue(stdinOwner)) StopAtEndOfInput(stop);
                Action<string> log = line => Console.Out.WriteLine(Output.OneLine(line));
                await using var fleet = FleetService.StartIfJoined(engine, log, stop.Token);
                // The API (fleet snapshot and stream, projects, logs, actions; bearer tokens, or the dashboard's session) opens
                // its fleet feed at the first /api/…fleet request.
                var apiOptions = new CicdOps.Server.Api.ApiOptions { Heartbeat = TimeSpan.FromSeconds(pr.GetValue(heartbeat)) };
                await using var history = new CicdOps.Server.Api.TelemetryHistory(engine.GetTelemetry);
                history.Start();
                var withDashboard = pr.GetValue(dashboard);
                var api = new CicdOps.Server.Api.ApiEndpoints(engine.AuthenticateApiToken, () => FleetService.OpenFeed(engine, log), apiOptions, log,
                    new CicdOps.Server.Api.ProjectApi(engine, history, apiOptions, log), withDashboard ? engine.AuthenticateDashboardSession : null);
                var pages = withDashboard
                    ? new CicdOps.Server.Dashboard.DashboardEndpoints(engine, history, api.Hub, new CicdOps.Server.Dashboard.DashboardOptions { SecureCookie = options.UsesTls }, log)
                    : null;
                if (withDashboard) log($"dashboard on {options.Prefix.Replace("+", "localhost", StringComparison.Ordinal)} (sign in: cicdops dashboard login)");
                await engine.RunListenerAsync(options with { Log = log }, new CicdOps.Server.KestrelHttpServer(options with { Log = log }, api, pages), log, stop.Token,
                    TimeSpan.FromSeconds(pr.GetValue(grace)));
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>The dashboard is secure by default: over plain HTTP only on a loopback address, unless asked for.</summary>
    internal static string? DashboardRefusal(ListenerOptions options, bool dashboard, bool allowInsecure)
    {
        if (!dashboard && allowInsecure) return "--allow-insecure-dashboard needs --dashboard.";
        if (dashboard && !options.UsesTls && !options.IsLoopback && !allowInsecure)
            return $"The dashboard on {options.BindAddress} without TLS would send its session cookie in clear: give --tls-cert and --tls-key, bind 127.0.0.1, or pass --allow-insecure-dashboard.";
        return null;
    }

    private static void CheckSampleInterval(int? seconds)
    {
        if (seconds is { } s && s is < WatchdogOptions.MinSampleIntervalSeconds or > WatchdogOptions.MaxSampleIntervalSeconds)
            throw new CicdException(CicdError.InvalidArgument,
                $"--sample-interval must be {WatchdogOptions.MinSampleIntervalSeconds} to {WatchdogOptions.MaxSampleIntervalSeconds} seconds (got {s}).");
    }

    /// <summary>The engine's refusals name no front end's flags; the CLI's name its own.</summary>
    private static string CliWording(string message) =>
        message.Replace("allow unsigned deliveries explicitly", "pass --allow-unsigned", StringComparison.Ordinal);

    private const string GitLabTokenEnvironmentVariable = "CICDOPS_GITLAB_TOKEN";

    private static byte[]? ReadGitLabToken(string? file)
    {
        string? value = null;
        if (file is not null)
        {
            try { value = File.ReadAllText(file).TrimEnd('\r', '\n'); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CicdException(CicdError.InvalidArgument, $"Cannot read the GitLab token file '{file}': {e.Message}", file);
            }
        }
        value ??= Environment.GetEnvironmentVariable(GitLabTokenEnvironmentVariable);
        if (value is null) return null;
        if (value.Length == 0) throw new CicdException(CicdError.InvalidArgument, "The GitLab token is empty.");
        return Encoding.UTF8.GetBytes(value);
    }

    private static void StopAtEndOfInput(CancellationTokenSource stop) =>
        _ = Task.Factory.StartNew(() =>
        {
            try
            {
                using var input = Console.OpenStandardInput();
                var buffer = new byte[256];
                while (input.Read(buffer, 0, buffer.Length) > 0) { }
            }
            catch (IOException) { }
            try { stop.Cancel(); } catch (ObjectDisposedException) { }
        }, TaskCreationOptions.LongRunning);

    /// <summary>The secret from the option, the file, or the environment, in that order; null when none.</summary>
    private static byte[]? ReadSecret(string? value, string? file)
    {
        if (value is not null && file is not null)
            throw new CicdException(CicdError.InvalidArgument, "Give either --webhook-secret or --webhook-secret-file, not both.");
        if (file is not null)
        {
            try { value = File.ReadAllText(file).TrimEnd('\r', '\n'); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CicdException(CicdError.InvalidArgument, $"Cannot read the webhook secret file '{file}': {e.Message}", file);
            }
        }
        value ??= Environment.GetEnvironmentVariable(SecretEnvironmentVariable);
        if (value is null) return null;
        if (value.Length == 0) throw new CicdException(CicdError.InvalidArgument, "The webhook secret is empty.");
        return Encoding.UTF8.GetBytes(value);
    }

    private static Command Deliveries()
    {
        var limit = new Option<int>("--limit") { Description = "How many, newest first", HelpName = "N", DefaultValueFactory = _ => 50 };
        var provider = new Option<string?>("--provider") { Description = "Only this provider: github, gitlab, gitea, forgejo, bitbucket", HelpName = "NAME" };
        var json = JsonOption();
        var cmd = new Command("deliveries", "List the webhook deliveries the listener recorded") { limit, provider, json };
        Act(cmd, pr =>
        {
            using var engine = Open(pr);
            var list = engine.GetWebhookDeliveries(pr.GetValue(limit), pr.GetValue(provider));
            if (pr.GetValue(json)) { Output.WriteJson(list); return ExitCodes.Ok; }
            Output.Table(new[] { "ID", "RECEIVED", "PROVIDER", "EVENT", "REPOSITORY", "REF", "COMMIT", "SIGNATURE", "OUTCOME", "HTTP" },
                list.Select(d => (IReadOnlyList<string>)new[]
                {
                    d.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), Output.Time(d.ReceivedAt), d.Provider, d.Event,
                    d.Repository ?? "-", d.Ref ?? "-", Output.Short(d.Commit), d.Signature, d.Outcome,
                    d.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture),
                }));
            return ExitCodes.Ok;
        });
        cmd.Add(DeliveriesPrune());
        cmd.Add(DeliveriesUnverified());
        return cmd;
    }

    private static Command DeliveriesPrune()
    {
        var days = new Option<int?>("--older-than-days") { Description = "Delete deliveries received more than N days ago", HelpName = "N" };
        var keep = new Option<int?>("--keep") { Description = "Keep only the newest N deliveries", HelpName = "N" };
        var cmd = new Command("prune", "Delete recorded webhook deliveries by age and/or count (the listener does this itself every minute)") { days, keep };
        Act(cmd, pr =>
        {
            if (pr.GetValue(days) is < 0) throw new CicdException(CicdError.InvalidArgument, "--older-than-days must not be negative.");
            using var engine = Open(pr);
            var n = engine.PruneWebhookDeliveries(pr.GetValue(days) is { } d ? TimeSpan.FromDays(d) : null, pr.GetValue(keep));
            Console.Out.WriteLine($"pruned {n} webhook deliveries");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command DeliveriesUnverified()
    {
        var json = JsonOption();
        var cmd = new Command("unverified", "Count the requests the listener answered before their signature held (never stored one by one)") { json };
        Act(cmd, pr =>
        {
            using var engine = Open(pr);
            var list = engine.GetUnverifiedWebhookCounts();
            if (pr.GetValue(json)) { Output.WriteJson(list); return ExitCodes.Ok; }
            Output.Table(new[] { "PROVIDER", "HTTP", "COUNT", "FIRST", "LAST" },
                list.Select(c => (IReadOnlyList<string>)new[]
                {
                    c.Provider, c.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    c.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), Output.Time(c.FirstAt), Output.Time(c.LastAt),
                }));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Service()
    {
        var service = new Command("service", "Run the listener as a systemd service: install, uninstall, status");
        service.Add(ServiceInstall());
        service.Add(ServiceUninstall());
        service.Add(ServiceStatus());
        return service;
    }

    private static Option<string> UnitPathOption() =>
        new("--unit-path") { Description = "Where the unit is", HelpName = "FILE", DefaultValueFactory = _ => SystemdUnit.DefaultPath };

    private static Command ServiceInstall()
    {
        var port = new Option<int>("--port") { Description = "The port the service listens on", HelpName = "N", DefaultValueFactory = _ => ListenerOptions.DefaultPort };
        var bind = new Option<string>("--bind") { Description = "The address the service binds", HelpName = "ADDR", DefaultValueFactory = _ => ListenerOptions.AllInterfaces };
        var path = UnitPathOption();
        var exec = new Option<string?>("--exec")
        {
            Description = "The installed cicdops the unit runs [default: this one, unless it is a build inside a checkout]", HelpName = "FILE",
        };
        var secretFile = new Option<string?>("--webhook-secret-file") { Description = "The unit passes this root-only file to the listener instead of reading the environment file", HelpName = "FILE" };
        var gitlabFile = new Option<string?>("--gitlab-token-file") { Description = "The unit passes this GitLab token file to the listener", HelpName = "FILE" };
        var envFile = new Option<string>("--env-file")
        {
            Description = "Without --webhook-secret-file: the environment file the unit reads (created 0600 with a new random secret when missing)",
            HelpName = "FILE", DefaultValueFactory = _ => SystemdUnit.DefaultEnvironmentFile,
        };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "The unit serves HTTPS with this PEM certificate", HelpName = "FILE" };
        var tlsKey = new Option<string?>("--tls-key") { Description = "The PEM key of --tls-cert", HelpName = "FILE" };
        var allowUnsigned = new Option<bool>("--allow-unsigned") { Description = "The unit accepts unsigned deliveries for projects without a secret" };
        var sampleInterval = new Option<int?>("--sample-interval") { Description = "The unit's listener samples telemetry every S seconds [default: 3]", HelpName = "S" };
        var noWatchdog = new Option<bool>("--no-watchdog") { Description = "The unit's listener samples telemetry but never restarts apps" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the unit and what install would do; write nothing" };
        var dashboard = new Option<bool>("--dashboard") { Description = "The unit's listener serves the web dashboard" };
        var insecureDashboard = new Option<bool>("--allow-insecure-dashboard") { Description = "… over plain HTTP on a non-loopback address" };
        var install = new Command("install", "Write the systemd unit for the listener and say how to enable it")
            { port, bind, path, exec, secretFile, gitlabFile, envFile, tlsCert, tlsKey, allowUnsigned, sampleInterval, noWatchdog, dashboard, insecureDashboard, dryRun };
        Act(install, pr =>
        {
            if (DashboardRefusal(new ListenerOptions { BindAddress = pr.GetValue(bind)!, TlsCertificateFile = pr.GetValue(tlsCert) },
                    pr.GetValue(dashboard), pr.GetValue(insecureDashboard)) is { } no)
                throw new CicdException(CicdError.InvalidArgument, no);
            CheckSampleInterval(pr.GetValue(sampleInterval));
            if ((pr.GetValue(tlsCert) is null) != (pr.GetValue(tlsKey) is null))
                throw new CicdException(CicdError.InvalidArgument, "Give both --tls-cert and --tls-key, or neither.");
            string? Full(Option<string?> o) => pr.GetValue(o) is { } v ? Path.GetFullPath(v) : null;
            var settings = new ListenerServiceSettings
            {
                Executable = InstalledExecutable(pr.GetValue(exec)),
                DataPath = DataDirectory.Resolve(pr.GetValue(DataDir)),
                UnitPath = pr.GetValue(path)!,
                Port = pr.GetValue(port),
                BindAddress = pr.GetValue(bind)!,
                WebhookSecretFile = Full(secretFile),
                GitLabTokenFile = Full(gitlabFile),
                EnvironmentFile = Path.GetFullPath(pr.GetValue(envFile)!),
                TlsCertificateFile = Full(tlsCert),
                TlsKeyFile = Full(tlsKey),
                AllowUnsigned = pr.GetValue(allowUnsigned),
                SampleIntervalSeconds = pr.GetValue(sampleInterval),
                NoWatchdog = pr.GetValue(noWatchdog),
                Dashboard = pr.GetValue(dashboard),
                AllowInsecureDashboard = pr.GetValue(insecureDashboard),
            };
            var dry = pr.GetValue(dryRun);
            var plan = ListenerServiceInstall.Plan(settings, dry);
            if (dry)
            {
                Console.Out.Write(plan.Unit);
                // As comments, so the output stays a valid unit when redirected to a file.
                foreach (var h in plan.Hints) Console.Out.WriteLine("# " + h);
                return ExitCodes.Ok;
            }
            ListenerServiceInstall.Apply(plan);
            foreach (var h in plan.Hints) Console.Out.WriteLine(h);
            return ExitCodes.Ok;
        });
        return install;
    }

    private static Command ServiceUninstall()
    {
        var path = UnitPathOption();
        var dryRun = new Option<bool>("--dry-run") { Description = "Say what would be done; do nothing" };
        var cmd = new Command("uninstall", "Stop and disable the listener's unit and remove it (data, apps and the environment file stay)") { path, dryRun };
        Act(cmd, pr =>
        {
            var target = pr.GetValue(path)!;
            var name = Path.GetFileNameWithoutExtension(target);
            if (!File.Exists(target)) throw new CicdException(CicdError.InvalidPath, $"No unit at '{target}'.", target, "Pass --unit-path if it was installed elsewhere.");
            if (pr.GetValue(dryRun))
            {
                Console.Out.WriteLine($"would run: systemctl disable --now {name}; remove {target}; systemctl daemon-reload (data, apps and secrets stay)");
                return ExitCodes.Ok;
            }
            var systemd = Directory.Exists("/run/systemd/system");
            if (systemd) Systemctl("disable", "--now", name);
            try { File.Delete(target); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CicdException(CicdError.InvalidPath, $"Cannot remove '{target}': {e.Message}", target, "Run as root.");
            }
            if (systemd) Systemctl("daemon-reload");
            Console.Out.WriteLine($"removed {target}{(systemd ? $" (stopped and disabled {name})" : "; systemd is not running here, nothing was stopped")}; data, apps and secrets were left in place");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command ServiceStatus()
    {
        var path = UnitPathOption();
        var cmd = new Command("status", "Say whether the listener's unit is installed, what it runs, and whether it is active") { path };
        Act(cmd, pr =>
        {
            var target = pr.GetValue(path)!;
            var name = Path.GetFileNameWithoutExtension(target);
            if (!File.Exists(target)) { Console.Out.WriteLine($"not installed ({target} does not exist)"); return ExitCodes.Ok; }
            var lines = File.ReadAllLines(target);
            Console.Out.WriteLine($"installed: {target}");
            foreach (var l in lines.Where(l => l.StartsWith("ExecStart=", StringComparison.Ordinal) || l.StartsWith("EnvironmentFile=", StringComparison.Ordinal)))
                Console.Out.WriteLine(l);
            var active = Directory.Exists("/run/systemd/system") ? Systemctl("is-active", name) : "unknown (systemd is not running here)";
            Console.Out.WriteLine($"active: {active}");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>systemctl with an argument list; its first output line (or its error) as one line.</summary>
    private static string Systemctl(params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("systemctl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        try
        {
            using var p = System.Diagnostics.Process.Start(psi)!;
            var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            p.WaitForExit();
            return Output.OneLine(output.Trim());
        }
        catch (System.ComponentModel.Win32Exception e) { return "systemctl failed: " + e.Message; }
    }

    /// <summary>
    /// The executable the unit runs: --exec, or this program when it is an installed, self-contained cicdops. A
    /// `dotnet cicdops.dll` or a build inside a git checkout is refused: a `git pull` and rebuild would change what
    /// the service runs under it.
    /// </summary>
    private static string InstalledExecutable(string? given)
    {
        var program = given is not null ? Path.GetFullPath(given) : Environment.ProcessPath ?? "";
        if (given is not null && !File.Exists(program))
            throw new CicdException(CicdError.InvalidPath, $"--exec '{given}' does not exist.", given);
        if (ListenerServiceInstall.ExecutableProblem(program) is { } problem)
            throw new CicdException(CicdError.InvalidArgument, problem, program,
                "Install the self-contained cicdops (for example to /usr/local/bin/cicdops) and pass --exec with its path.");
        return program;
    }
}
