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
        // For a parent that owns the listener (the PowerShell module): its death closes our stdin, and we stop.
        var stdinOwner = new Option<bool>("--stop-when-stdin-closes") { Description = "Stop (gracefully) when standard input reaches end-of-file", Hidden = true };
        var cmd = new Command("listen", "Run the webhook listener in the foreground until Ctrl+C or SIGTERM (port 9641)")
            { port, bind, secret, secretFile, gitlabFile, allowUnsigned, tlsCert, tlsKey, retentionDays, retentionRows, grace, stdinOwner };
        Act(cmd, async pr =>
        {
            if (pr.GetValue(retentionDays) < 1 || pr.GetValue(retentionRows) < 1)
                throw new CicdException(CicdError.InvalidArgument, "--retention-days and --retention-rows must be positive.");
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
            // The service runs its deployments itself, so a graceful stop can let them finish.
            var dataPath = DataDirectory.Resolve(pr.GetValue(DataDir));
            using var engine = CicdEngine.Open(new EngineOptions { DataPath = dataPath, LogPumpCommand = LogPumpCommand.Argv(dataPath) });
            using (Interrupt.Catch())
            using (var stop = CancellationTokenSource.CreateLinkedTokenSource(Interrupt.Token))
            {
                if (pr.GetValue(stdinOwner)) StopAtEndOfInput(stop);
                Action<string> log = line => Console.Out.WriteLine(Output.OneLine(line));
                await engine.RunListenerAsync(options with { Log = log }, new CicdOps.Server.KestrelHttpServer(options with { Log = log }), log, stop.Token,
                    TimeSpan.FromSeconds(pr.GetValue(grace)));
            }
            return ExitCodes.Ok;
        });
        return cmd;
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
        return cmd;
    }

    private static Command Service()
    {
        var service = new Command("service", "Run the listener as a systemd service");
        var port = new Option<int>("--port") { Description = "The port the service listens on", HelpName = "N", DefaultValueFactory = _ => ListenerOptions.DefaultPort };
        var bind = new Option<string>("--bind") { Description = "The address the service binds", HelpName = "ADDR", DefaultValueFactory = _ => ListenerOptions.AllInterfaces };
        var path = new Option<string>("--unit-path") { Description = "Where to write the unit", HelpName = "FILE", DefaultValueFactory = _ => SystemdUnit.DefaultPath };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the unit; write nothing" };
        var install = new Command("install", "Write the systemd unit for the listener and say how to enable it") { port, bind, path, dryRun };
        Act(install, pr =>
        {
            var dataPath = DataDirectory.Resolve(pr.GetValue(DataDir));
            var exec = SelfCommand().Concat(new[] { "--data-dir", dataPath, "listen", "--port", pr.GetValue(port).ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", pr.GetValue(bind)! }).ToList();
            var unit = SystemdUnit.Render(exec, dataPath);
            if (pr.GetValue(dryRun)) { Console.Out.Write(unit); return ExitCodes.Ok; }
            var target = pr.GetValue(path)!;
            WriteAtomically(target, unit);
            Console.Out.WriteLine($"wrote {target}; enable it with: systemctl daemon-reload && systemctl enable --now {Path.GetFileNameWithoutExtension(target)}");
            Console.Out.WriteLine($"put the webhook secret in /etc/cicdops/listener.env as {SecretEnvironmentVariable}=... (mode 0600) and uncomment EnvironmentFile in the unit");
            return ExitCodes.Ok;
        });
        service.Add(install);
        return service;
    }

    /// <summary>This program as a command line: the apphost, or `dotnet cicdops.dll`.</summary>
    private static List<string> SelfCommand()
    {
        var argv = WorkerCommand("-").ToList();
        return argv.Take(argv.IndexOf("--data-dir")).ToList();
    }

    private static void WriteAtomically(string target, string content)
    {
        try
        {
            var temp = target + ".tmp-" + Environment.ProcessId;
            File.WriteAllText(temp, content);
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            File.Move(temp, target, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CicdException(CicdError.InvalidPath, $"Cannot write '{target}': {e.Message}", target, "Run as root, or use --dry-run to print the unit.");
        }
    }
}
