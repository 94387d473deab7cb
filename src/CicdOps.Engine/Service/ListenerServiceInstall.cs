using CicdOps.Engine.Listener;

namespace CicdOps.Engine.Service;

/// <summary>What the listener's service is installed with; paths are absolute (the front end resolved them).</summary>
public sealed record ListenerServiceSettings
{
    /// <summary>The installed, self-contained cicdops the unit runs.</summary>
    public required string Executable { get; init; }
    public required string DataPath { get; init; }
    public string UnitPath { get; init; } = SystemdUnit.DefaultPath;
    public int Port { get; init; } = ListenerOptions.DefaultPort;
    public string BindAddress { get; init; } = ListenerOptions.AllInterfaces;
    /// <summary>Named on the command line; null: the unit reads <see cref="EnvironmentFile"/> instead.</summary>
    public string? WebhookSecretFile { get; init; }
    public string? GitLabTokenFile { get; init; }
    public string EnvironmentFile { get; init; } = SystemdUnit.DefaultEnvironmentFile;
    public string? TlsCertificateFile { get; init; }
    public string? TlsKeyFile { get; init; }
    public bool AllowUnsigned { get; init; }
    /// <summary>Seconds between telemetry samples (--sample-interval); null: the listener's default.</summary>
    public int? SampleIntervalSeconds { get; init; }
    /// <summary>The listener samples but never restarts apps (--no-watchdog).</summary>
    public bool NoWatchdog { get; init; }
    /// <summary>The listener serves the web dashboard (--dashboard).</summary>
    public bool Dashboard { get; init; }
    /// <summary>… over plain HTTP on a non-loopback address (--allow-insecure-dashboard).</summary>
    public bool AllowInsecureDashboard { get; init; }
}

/// <summary>The unit, and what installing it does and says: the same for a dry run as for the real install.</summary>
public sealed record ListenerServicePlan(string UnitPath, string Unit, string? EnvironmentFile, bool CreatesEnvironmentFile, IReadOnlyList<string> Hints);

/// <summary>
/// `cicdops service install` and Install-CicdListenerService share this: one command line, one unit, one set of hints.
/// The front ends only resolve paths, check their own flags and print.
/// </summary>
public static class ListenerServiceInstall
{
    public const string SecretEnvironmentVariable = "CICDOPS_WEBHOOK_SECRET";
    public const string GitLabTokenEnvironmentVariable = "CICDOPS_GITLAB_TOKEN";

    /// <summary>
    /// Null when <paramref name="program"/> may be what the unit runs; otherwise why not. `dotnet cicdops.dll` or a file
    /// inside a git checkout is refused: a `git pull` and rebuild would change what the service runs under it.
    /// </summary>
    public static string? ExecutableProblem(string program)
    {
        if (!File.Exists(program)) return $"'{program}' does not exist.";
        var name = Path.GetFileName(program);
        if (name is "dotnet" or "dotnet.exe" || name.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            return $"cicdops runs from '{program}' through dotnet; the service must run an installed self-contained executable.";
        if (InsideCheckout(program))
            return $"'{program}' is inside a git checkout, which a git pull and rebuild change; the service must run an installed executable.";
        return null;
    }

    /// <summary>The listener's command line in the unit (data directory and every option explicit).</summary>
    public static IReadOnlyList<string> Command(ListenerServiceSettings s)
    {
        var argv = new List<string>
        {
            s.Executable, "--data-dir", s.DataPath, "listen",
            "--port", s.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", s.BindAddress,
        };
        foreach (var (flag, value) in new[]
                 {
                     ("--webhook-secret-file", s.WebhookSecretFile), ("--gitlab-token-file", s.GitLabTokenFile),
                     ("--tls-cert", s.TlsCertificateFile), ("--tls-key", s.TlsKeyFile),
                 })
            if (value is not null) argv.AddRange([flag, value]);
        if (s.AllowUnsigned) argv.Add("--allow-unsigned");
        if (s.SampleIntervalSeconds is { } interval)
            argv.AddRange(["--sample-interval", interval.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        if (s.NoWatchdog) argv.Add("--no-watchdog");
        if (s.Dashboard) argv.Add("--dashboard");
        if (s.AllowInsecureDashboard) argv.Add("--allow-insecure-dashboard");
        return argv;
    }

    /// <summary>Renders the unit and the hints; writes nothing. Throws <see cref="CicdException"/> on a bad port or address.</summary>
    public static ListenerServicePlan Plan(ListenerServiceSettings s, bool dryRun)
    {
        var check = new ListenerOptions
        {
            Port = s.Port, BindAddress = s.BindAddress, AllowUnsigned = true,
            TlsCertificateFile = s.TlsCertificateFile, TlsKeyFile = s.TlsKeyFile,
        }.Validate();
        if (check is not null) throw new CicdException(CicdError.InvalidArgument, check, s.BindAddress);
        // The front ends check this with their own flag's name first; a unit whose listener would refuse to start is never written.
        if (s.SampleIntervalSeconds is < WatchdogOptions.MinSampleIntervalSeconds or > WatchdogOptions.MaxSampleIntervalSeconds)
            throw new CicdException(CicdError.InvalidArgument,
                $"The sample interval must be {WatchdogOptions.MinSampleIntervalSeconds} to {WatchdogOptions.MaxSampleIntervalSeconds} seconds (got {s.SampleIntervalSeconds}).");
        if (s.AllowInsecureDashboard && !s.Dashboard)
            throw new CicdException(CicdError.InvalidArgument, "Allowing an insecure dashboard needs the dashboard on.");
        if (s.Dashboard && s.TlsCertificateFile is null && !s.AllowInsecureDashboard && !new ListenerOptions { BindAddress = s.BindAddress }.IsLoopback)
            throw new CicdException(CicdError.InvalidArgument,
                $"The dashboard on {s.BindAddress} without TLS would send its session cookie in clear: give a TLS certificate and key, bind a loopback address, or allow the insecure dashboard explicitly.", s.BindAddress);
        var environmentFile = s.WebhookSecretFile is null ? s.EnvironmentFile : null;
        string unit;
        try { unit = SystemdUnit.Render(Command(s), s.DataPath, environmentFile); }
        catch (ArgumentException e) { throw new CicdException(CicdError.InvalidArgument, "A path in the service's command line " + e.Message + ".", s.Executable); }

        var creates = environmentFile is not null && !File.Exists(environmentFile);
        var name = Path.GetFileNameWithoutExtension(s.UnitPath);
        var hints = new List<string>();
        if (environmentFile is not null)
            hints.Add(creates
                ? $"{(dryRun ? "would create" : "created")} {environmentFile} (mode 0600) with a new random {SecretEnvironmentVariable}; put the same secret in your Git host's webhook settings (read it with: sudo cat {environmentFile})"
                : $"the unit reads {environmentFile} (exists; left as it is): it must set {SecretEnvironmentVariable}=...");
        foreach (var (what, file) in new[] { ("webhook secret", s.WebhookSecretFile), ("GitLab token", s.GitLabTokenFile), ("TLS certificate", s.TlsCertificateFile), ("TLS key", s.TlsKeyFile) })
            if (file is not null && !File.Exists(file)) hints.Add($"the {what} file {file} does not exist yet: create it (root-only) before enabling the service");
        if (s.GitLabTokenFile is null && environmentFile is not null)
            hints.Add($"for GitLab, set {GitLabTokenEnvironmentVariable}=... in {environmentFile} (a value other than the webhook secret: GitLab sends it in clear)");
        if (s.TlsCertificateFile is not null)
            hints.Add("the listener serves HTTPS and re-reads the certificate and key when they change (a certbot renewal needs no restart)");
        if (s.AllowUnsigned)
            hints.Add("UNSIGNED deliveries are accepted for projects without a secret (allow-unsigned): anyone who reaches the port can deploy them");
        if (s.NoWatchdog)
            hints.Add("the watchdog is off (no-watchdog): telemetry is sampled, but an app that dies stays down until its next deployment");
        if (s.Dashboard)
            hints.Add("the listener serves the web dashboard under / on its port; sign in with a link from: cicdops dashboard login --role operator"
                + (s.AllowInsecureDashboard ? " (over plain HTTP off loopback: put TLS in front of it)" : ""));
        hints.Add($"{(dryRun ? "would write" : "wrote")} {s.UnitPath}; enable it with: systemctl daemon-reload && systemctl enable --now {name}");
        hints.Add($"the listener's log: journalctl -u {name} -f");
        return new ListenerServicePlan(s.UnitPath, unit, environmentFile, creates, hints);
    }

    /// <summary>Creates the environment file when the plan says so, then writes the unit (atomically).</summary>
    public static void Apply(ListenerServicePlan plan)
    {
        if (plan.CreatesEnvironmentFile && plan.EnvironmentFile is { } env && !File.Exists(env)) CreateEnvironmentFile(env);
        WriteAtomically(plan.UnitPath, plan.Unit);
    }

    private static bool InsideCheckout(string file)
    {
        for (var dir = Path.GetDirectoryName(file); !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
            if (Directory.Exists(Path.Combine(dir, ".git")) || File.Exists(Path.Combine(dir, ".git"))) return true;
        return false;
    }

    /// <summary>Creates the unit's environment file 0600 (its directory 0700) with a new random webhook secret.</summary>
    private static void CreateEnvironmentFile(string file)
    {
        try
        {
            var dir = Path.GetDirectoryName(file)!;
            if (!Directory.Exists(dir)) Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var secret = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();
            using var stream = new FileStream(file, new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            using var w = new StreamWriter(stream);
            w.Write($"# Read by the cicdops unit. The same secret goes into the Git host's webhook settings.\n{SecretEnvironmentVariable}={secret}\n" +
                    $"# GitLab sends its token in clear, so it must be a different value:\n# {GitLabTokenEnvironmentVariable}=\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CicdException(CicdError.InvalidPath, $"Cannot create '{file}': {e.Message}", file, "Run as root, or name a webhook secret file.");
        }
    }

    private static void WriteAtomically(string target, string content)
    {
        try
        {
            if (Path.GetDirectoryName(target) is { Length: > 0 } directory) Directory.CreateDirectory(directory);
            var temp = target + ".tmp-" + Environment.ProcessId;
            File.WriteAllText(temp, content);
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            File.Move(temp, target, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CicdException(CicdError.InvalidPath, $"Cannot write '{target}': {e.Message}", target, "Run as root, or write the unit elsewhere.");
        }
    }
}
