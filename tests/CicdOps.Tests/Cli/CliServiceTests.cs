using System.Diagnostics;
using System.Net;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Cli;

/// <summary>`cicdops service install|status|uninstall`: the unit starts as documented, and --dry-run says everything install says.</summary>
[Collection("cli")]
public sealed class CliServiceTests
{
    /// <summary>An "installed" cicdops outside any checkout: a wrapper that runs the built CLI.</summary>
    private static string InstalledCicdops(CliHarness cli)
    {
        var dir = Path.Combine(Path.GetTempPath(), "cicdops-installed-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var exe = Path.Combine(dir, "cicdops");
        File.WriteAllText(exe, $"#!/bin/sh\nexec dotnet '{CliHarness.CliDll}' \"$@\"\n");
        File.SetUnixFileMode(exe, (UnixFileMode)0b111_101_101);
        return exe;
    }

    [Fact]
    public void Dry_run_prints_the_unit_and_every_hint_install_prints_and_writes_nothing()
    {
        using var cli = new CliHarness();
        var exe = InstalledCicdops(cli);
        var unitPath = Path.Combine(cli.Root, "cicdops.service");
        var envFile = Path.Combine(cli.Root, "etc", "listener.env");
        var args = new[] { "service", "install", "--unit-path", unitPath, "--env-file", envFile, "--bind", "127.0.0.1", "--exec", exe };

        var dry = cli.Run(args.Append("--dry-run").ToArray()).ShouldExit(0);
        Assert.Contains($"ExecStart={exe} --data-dir {cli.DataPath} listen --port 9641 --bind 127.0.0.1\n", dry.StdOut);
        Assert.Contains($"EnvironmentFile={envFile}\n", dry.StdOut);
        Assert.False(File.Exists(unitPath));
        Assert.False(File.Exists(envFile));
        // The hints follow the unit, as comments.
        var dryHints = dry.StdOut.Split('\n').SkipWhile(l => !l.StartsWith("WantedBy=")).Skip(1).Where(l => l.Length > 0).ToList();
        Assert.All(dryHints, h => Assert.StartsWith("# ", h));
        Assert.Equal(2, dryHints.Count(h => h.StartsWith("# would ")));

        var real = cli.Run(args).ShouldExit(0);
        var realHints = real.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
        // The same hints, in the same order, each said as done instead of "would".
        Assert.Equal(dryHints.Select(h => h[2..].Replace("would create ", "created ").Replace("would write ", "wrote ")), realHints);
        Assert.Contains(realHints, l => l.StartsWith("the listener's log: journalctl"));
        Assert.Contains("(mode 0600)", realHints[0]);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(envFile));
        Assert.Matches("(?m)^CICDOPS_WEBHOOK_SECRET=[0-9a-f]{64}$", File.ReadAllText(envFile));

        // A second install keeps the secret the Git host already has.
        var secret = File.ReadAllText(envFile);
        Assert.Contains("left as it is", cli.Run(args).ShouldExit(0).StdOut);
        Assert.Equal(secret, File.ReadAllText(envFile));
    }

    [Fact]
    public async Task The_installed_unit_starts_the_listener_as_documented()
    {
        using var cli = new CliHarness();
        var exe = InstalledCicdops(cli);
        var unitPath = Path.Combine(cli.Root, "cicdops.service");
        var envFile = Path.Combine(cli.Root, "etc", "listener.env");
        var port = FreePort.Next();
        cli.Run("service", "install", "--unit-path", unitPath, "--env-file", envFile, "--bind", "127.0.0.1", "--port", port.ToString(), "--exec", exe,
            "--sample-interval", "2", "--no-watchdog").ShouldExit(0);

        // What systemd would do: the ExecStart argv, with the environment file's variables.
        var unit = File.ReadAllLines(unitPath);
        var argv = unit.Single(l => l.StartsWith("ExecStart=", StringComparison.Ordinal))["ExecStart=".Length..].Split(' ');
        var psi = new ProcessStartInfo(argv[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in argv.Skip(1)) psi.ArgumentList.Add(a);
        foreach (var line in File.ReadAllLines(envFile).Where(l => l.Contains('=') && !l.StartsWith('#')))
            psi.Environment[line[..line.IndexOf('=')]] = line[(line.IndexOf('=') + 1)..];
        using var p = Process.Start(psi)!;
        try
        {
            Engine.QueueTests.WaitFor(() => Engine.AppProcessTests.CanConnect(port) || p.HasExited);
            if (p.HasExited) Assert.Fail("the listener exited: " + p.StandardError.ReadToEnd());
            using var http = new HttpClient();
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"http://127.0.0.1:{port}/healthz")).StatusCode);
        }
        finally
        {
            Run.Command("kill", null, "-TERM", p.Id.ToString());
            p.WaitForExit(30_000);
        }
        var output = p.StandardOutput.ReadToEnd();
        Assert.Contains("unsigned deliveries are refused", output);
        // The unit's telemetry settings reached the listener.
        Assert.Contains("monitor: sampling every 2 s; watchdog off", output);
    }

    [Fact]
    public void A_bad_sample_interval_for_the_unit_is_one_line_naming_the_flag_and_writes_nothing()
    {
        using var cli = new CliHarness();
        var exe = InstalledCicdops(cli);
        var unitPath = Path.Combine(cli.Root, "cicdops.service");
        var envFile = Path.Combine(cli.Root, "etc", "listener.env");
        var r = cli.Run("service", "install", "--unit-path", unitPath, "--env-file", envFile, "--exec", exe, "--sample-interval", "0");
        Assert.NotEqual(0, r.Code);
        Assert.Contains("--sample-interval", Assert.Single(r.ErrLines));
        Assert.False(File.Exists(unitPath));
        Assert.False(File.Exists(envFile));
    }

    [Fact]
    public void With_a_secret_file_the_unit_names_it_and_reads_no_environment_file()
    {
        using var cli = new CliHarness();
        var exe = InstalledCicdops(cli);
        var secretFile = Path.Combine(cli.Root, "webhook.secret");
        var r = cli.Run("service", "install", "--dry-run", "--exec", exe, "--webhook-secret-file", secretFile,
            "--gitlab-token-file", Path.Combine(cli.Root, "gitlab.token"), "--tls-cert", "/etc/tls/c.pem", "--tls-key", "/etc/tls/k.pem").ShouldExit(0);
        Assert.Contains($"--webhook-secret-file {secretFile} --gitlab-token-file {Path.Combine(cli.Root, "gitlab.token")} --tls-cert /etc/tls/c.pem --tls-key /etc/tls/k.pem\n", r.StdOut);
        Assert.DoesNotContain("EnvironmentFile=", r.StdOut);
        Assert.DoesNotContain("# would create", r.StdOut);
    }

    [Fact]
    public void A_build_run_through_dotnet_or_inside_a_checkout_is_not_what_the_unit_runs()
    {
        using var cli = new CliHarness();
        var r = cli.Run("service", "install", "--dry-run");
        Assert.Equal(1, r.Code);
        var line = Assert.Single(r.ErrLines);
        Assert.Contains("--exec", line);
    }

    [Fact]
    public void Status_and_uninstall_work_on_the_installed_unit()
    {
        using var cli = new CliHarness();
        var exe = InstalledCicdops(cli);
        var unitPath = Path.Combine(cli.Root, "cicdops.service");
        Assert.Contains("not installed", cli.Run("service", "status", "--unit-path", unitPath).ShouldExit(0).StdOut);
        cli.Run("service", "install", "--unit-path", unitPath, "--env-file", Path.Combine(cli.Root, "l.env"), "--exec", exe).ShouldExit(0);
        var status = cli.Run("service", "status", "--unit-path", unitPath).ShouldExit(0).StdOut;
        Assert.Contains($"installed: {unitPath}", status);
        Assert.Contains($"ExecStart={exe} ", status);
        Assert.Contains("active: ", status);

        Assert.Contains("would run: systemctl disable --now cicdops", cli.Run("service", "uninstall", "--unit-path", unitPath, "--dry-run").ShouldExit(0).StdOut);
        Assert.True(File.Exists(unitPath));
        Assert.Contains($"removed {unitPath}", cli.Run("service", "uninstall", "--unit-path", unitPath).ShouldExit(0).StdOut);
        Assert.False(File.Exists(unitPath));
        Assert.True(File.Exists(Path.Combine(cli.Root, "l.env")), "secrets stay");
        Assert.Equal(1, cli.Run("service", "uninstall", "--unit-path", unitPath).Code);
    }
}
