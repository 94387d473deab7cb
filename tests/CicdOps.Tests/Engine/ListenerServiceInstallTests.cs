using CicdOps.Engine;
using CicdOps.Engine.Service;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Engine;

/// <summary>
/// The unit both front ends install (`cicdops service install`, Install-CicdListenerService): rendered for each option,
/// the same hints for a dry run as for the install, and never a cicdops a git pull would rebuild.
/// </summary>
public sealed class ListenerServiceInstallTests
{
    private static string ExecStart(ListenerServicePlan plan) =>
        plan.Unit.Split('\n').Single(l => l.StartsWith("ExecStart=", StringComparison.Ordinal))["ExecStart=".Length..];

    private static ListenerServiceSettings Settings(TempDirectory dir) => new()
    {
        Executable = "/usr/local/bin/cicdops", DataPath = "/var/lib/cicdops", UnitPath = dir.Combine("cicdops.service"),
        EnvironmentFile = dir.Combine("etc", "listener.env"),
    };

    [Fact]
    public void The_default_unit_runs_the_installed_executable_with_every_setting_explicit_and_reads_the_environment_file()
    {
        using var dir = new TempDirectory();
        var plan = ListenerServiceInstall.Plan(Settings(dir), dryRun: true);
        Assert.Equal("/usr/local/bin/cicdops --data-dir /var/lib/cicdops listen --port 9641 --bind +", ExecStart(plan));
        Assert.Contains($"EnvironmentFile={dir.Combine("etc", "listener.env")}\n", plan.Unit);
        Assert.Contains("Environment=CICDOPS_HOME=/var/lib/cicdops\n", plan.Unit);
        Assert.DoesNotContain("--allow-unsigned", plan.Unit);
    }

    [Theory]
    [InlineData("port", "--port 9700")]
    [InlineData("bind", "--bind 127.0.0.1")]
    [InlineData("secret", "--webhook-secret-file /etc/cicdops/secret")]
    [InlineData("gitlab", "--gitlab-token-file /etc/cicdops/gitlab-token")]
    [InlineData("tls", "--tls-cert /etc/letsencrypt/live/x/fullchain.pem --tls-key /etc/letsencrypt/live/x/privkey.pem")]
    [InlineData("unsigned", "--allow-unsigned")]
    [InlineData("interval", "--sample-interval 10")]
    [InlineData("nowatchdog", "--no-watchdog")]
    public void Each_option_is_rendered_on_the_units_command_line_and_said_in_a_hint(string option, string expected)
    {
        using var dir = new TempDirectory();
        var s = Settings(dir);
        s = option switch
        {
            "port" => s with { Port = 9700 },
            "bind" => s with { BindAddress = "127.0.0.1" },
            "secret" => s with { WebhookSecretFile = "/etc/cicdops/secret" },
            "gitlab" => s with { GitLabTokenFile = "/etc/cicdops/gitlab-token" },
            "tls" => s with { TlsCertificateFile = "/etc/letsencrypt/live/x/fullchain.pem", TlsKeyFile = "/etc/letsencrypt/live/x/privkey.pem" },
            "unsigned" => s with { AllowUnsigned = true },
            "interval" => s with { SampleIntervalSeconds = 10 },
            "nowatchdog" => s with { NoWatchdog = true },
            _ => throw new ArgumentOutOfRangeException(nameof(option)),
        };
        var plan = ListenerServiceInstall.Plan(s, dryRun: true);
        Assert.Contains(" " + expected, ExecStart(plan));
        var hints = string.Join('\n', plan.Hints);
        switch (option)
        {
            case "secret":
                // A secret file on the command line: no environment file is read, created or mentioned.
                Assert.DoesNotContain("EnvironmentFile=", plan.Unit);
                Assert.Null(plan.EnvironmentFile);
                Assert.Contains("the webhook secret file /etc/cicdops/secret does not exist yet", hints);
                break;
            case "gitlab":
                Assert.Contains("the GitLab token file /etc/cicdops/gitlab-token does not exist yet", hints);
                Assert.DoesNotContain("CICDOPS_GITLAB_TOKEN", hints);
                break;
            case "tls":
                Assert.Contains("serves HTTPS", hints);
                break;
            case "unsigned":
                Assert.Contains("UNSIGNED deliveries are accepted", hints);
                break;
            case "nowatchdog":
                Assert.Contains("the watchdog is off", hints);
                break;
            case "interval":
                Assert.DoesNotContain("--no-watchdog", plan.Unit);
                Assert.DoesNotContain("watchdog is off", hints);
                break;
        }
    }

    [Fact]
    public void A_dry_run_says_every_hint_the_install_says_and_writes_nothing()
    {
        using var dir = new TempDirectory();
        var s = Settings(dir) with { AllowUnsigned = true, TlsCertificateFile = dir.Combine("c.pem"), TlsKeyFile = dir.Combine("k.pem") };
        var dry = ListenerServiceInstall.Plan(s, dryRun: true);
        Assert.False(File.Exists(s.UnitPath));
        Assert.False(File.Exists(s.EnvironmentFile));

        var real = ListenerServiceInstall.Plan(s, dryRun: false);
        ListenerServiceInstall.Apply(real);
        Assert.Equal(real.Unit, File.ReadAllText(s.UnitPath));
        Assert.Equal(dry.Unit, real.Unit);
        Assert.Equal(dry.Hints.Select(h => h.Replace("would create", "created").Replace("would write", "wrote")), real.Hints);
        Assert.True(dry.Hints.Count >= 6, string.Join('\n', dry.Hints));
        // The environment file was created root-only, with a random secret.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(s.EnvironmentFile));
        Assert.Matches("(?m)^CICDOPS_WEBHOOK_SECRET=[0-9a-f]{64}$", File.ReadAllText(s.EnvironmentFile));
        // A second install leaves it as it is and says so.
        var again = ListenerServiceInstall.Plan(s, dryRun: false);
        Assert.False(again.CreatesEnvironmentFile);
        Assert.Contains(again.Hints, h => h.Contains("exists; left as it is"));
    }

    [Fact]
    public void A_bad_port_or_address_is_one_line_and_nothing_is_written()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<CicdException>(() => ListenerServiceInstall.Plan(Settings(dir) with { BindAddress = "bad host/name" }, dryRun: false));
        Assert.Equal("CicdInvalidArgument", e.ErrorId);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(301)]
    public void A_sample_interval_the_listener_would_refuse_is_one_line_and_nothing_is_written(int seconds)
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<CicdException>(() => ListenerServiceInstall.Plan(Settings(dir) with { SampleIntervalSeconds = seconds }, dryRun: false));
        Assert.Equal("CicdInvalidArgument", e.ErrorId);
        Assert.Contains("sample interval", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void Both_watchdog_settings_together_are_rendered_after_the_other_options()
    {
        using var dir = new TempDirectory();
        var plan = ListenerServiceInstall.Plan(Settings(dir) with { SampleIntervalSeconds = 1, NoWatchdog = true }, dryRun: true);
        Assert.Equal("/usr/local/bin/cicdops --data-dir /var/lib/cicdops listen --port 9641 --bind + --sample-interval 1 --no-watchdog", ExecStart(plan));
    }

    [Fact]
    public void A_cicdops_inside_a_checkout_or_run_through_dotnet_is_never_what_the_unit_runs()
    {
        using var dir = new TempDirectory();
        var installed = dir.Combine("usr", "bin", "cicdops");
        Directory.CreateDirectory(Path.GetDirectoryName(installed)!);
        File.WriteAllText(installed, "");
        Assert.Null(ListenerServiceInstall.ExecutableProblem(installed));

        var checkout = dir.Combine("src", "cicdops");
        Directory.CreateDirectory(Path.Combine(checkout, ".git"));
        var built = Path.Combine(checkout, "artifacts", "module", "CicdOps", "bin", "linux-x64", "cicdops");
        Directory.CreateDirectory(Path.GetDirectoryName(built)!);
        File.WriteAllText(built, "");
        Assert.Contains("inside a git checkout", ListenerServiceInstall.ExecutableProblem(built));
        Assert.Contains("through dotnet", ListenerServiceInstall.ExecutableProblem(WriteEmpty(dir.Combine("usr", "bin", "cicdops.dll"))));
        Assert.Contains("does not exist", ListenerServiceInstall.ExecutableProblem(dir.Combine("nope")));
    }

    private static string WriteEmpty(string path)
    {
        File.WriteAllText(path, "");
        return path;
    }
}
