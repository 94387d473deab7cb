using CicdOps.Engine.Service;

namespace CicdOps.Tests.Engine;

public sealed class SystemdUnitTests
{
    [Fact]
    public void The_unit_runs_the_listener_and_never_kills_the_apps_on_restart()
    {
        var unit = SystemdUnit.Render(new[] { "/usr/local/bin/cicdops", "listen", "--port", "9641" }, "/var/lib/cicdops");

        Assert.Contains("ExecStart=/usr/local/bin/cicdops listen --port 9641\n", unit);
        Assert.Contains("KillMode=process\n", unit);
        Assert.Contains("Environment=CICDOPS_HOME=/var/lib/cicdops\n", unit);
        Assert.DoesNotContain("NoNewPrivileges=true", unit);
        Assert.DoesNotContain("\nUser=", unit);
        // Every option is explained: a comment precedes each group of hardening settings.
        Assert.Contains("# Apps are started detached", unit);
    }

    [Fact]
    public void Arguments_with_spaces_quotes_or_specifiers_are_quoted_for_systemd()
    {
        var unit = SystemdUnit.Render(new[] { "/opt/cicd ops/cicdops", "listen", "--bind", "100%$x\"y" }, "/srv/data dir");

        Assert.Contains("ExecStart=\"/opt/cicd ops/cicdops\" listen --bind \"100%%$$x\\\"y\"\n", unit);
        Assert.Contains("Environment=CICDOPS_HOME=\"/srv/data dir\"\n", unit);
    }

    [Fact]
    public void A_control_character_in_an_argument_is_refused()
    {
        Assert.Throws<ArgumentException>(() => SystemdUnit.Render(new[] { "/bin/cicdops", "listen\nExecStartPre=/bin/sh" }, "/x"));
    }
}
