using CicdOps.Engine;
using CicdOps.Engine.Service;
using CicdOps.Tests.Cli;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Dashboard;

/// <summary>The service unit with the dashboard: its flags on the command line, a hint, and the same secure-by-default refusal as `listen`.</summary>
public sealed class DashboardServiceInstallTests
{
    private static ListenerServiceSettings Settings(TempDirectory dir) => new()
    {
        Executable = "/usr/local/bin/cicdops", DataPath = "/var/lib/cicdops", UnitPath = dir.Combine("cicdops.service"),
        EnvironmentFile = dir.Combine("etc", "listener.env"), BindAddress = "127.0.0.1",
    };

    private static string ExecStart(ListenerServicePlan plan) =>
        plan.Unit.Split('\n').Single(l => l.StartsWith("ExecStart=", StringComparison.Ordinal))["ExecStart=".Length..];

    [Fact]
    public void The_unit_runs_the_dashboard_when_asked_and_says_how_to_sign_in()
    {
        using var dir = new TempDirectory();
        var plan = ListenerServiceInstall.Plan(Settings(dir) with { Dashboard = true }, dryRun: true);
        Assert.EndsWith(" --bind 127.0.0.1 --dashboard", ExecStart(plan));
        Assert.Contains("cicdops dashboard login", string.Join('\n', plan.Hints));
        Assert.DoesNotContain("--dashboard", ExecStart(ListenerServiceInstall.Plan(Settings(dir), dryRun: true)));
    }

    [Fact]
    public void Plain_http_off_loopback_is_refused_unless_allowed_and_nothing_is_written()
    {
        using var dir = new TempDirectory();
        var open = Settings(dir) with { BindAddress = "+", Dashboard = true };
        var e = Assert.Throws<CicdException>(() => ListenerServiceInstall.Plan(open, dryRun: false));
        Assert.Contains("without TLS", e.Message);
        Assert.Throws<CicdException>(() => ListenerServiceInstall.Plan(Settings(dir) with { AllowInsecureDashboard = true }, dryRun: false));
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));

        var allowed = ListenerServiceInstall.Plan(open with { AllowInsecureDashboard = true }, dryRun: true);
        Assert.EndsWith(" --dashboard --allow-insecure-dashboard", ExecStart(allowed));
        var tls = ListenerServiceInstall.Plan(open with { TlsCertificateFile = "/etc/c.pem", TlsKeyFile = "/etc/k.pem" }, dryRun: true);
        Assert.EndsWith(" --dashboard", ExecStart(tls));
    }

    [Fact]
    public void Service_install_speaks_its_own_flags()
    {
        using var cli = new CliHarness();
        var unit = Path.Combine(cli.Root, "cicdops.service");
        var r = cli.Run("service", "install", "--unit-path", unit, "--bind", "0.0.0.0", "--dashboard", "--dry-run", "--exec", "/bin/true");
        Assert.Equal(1, r.Code);
        Assert.Contains("--allow-insecure-dashboard", r.StdErr);
        Assert.False(File.Exists(unit));
    }
}
