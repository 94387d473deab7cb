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
    public void Deployments_started_by_the_service_run_under_the_same_constraints_as_from_the_CLI()
    {
        var unit = SystemdUnit.Render(new[] { "/usr/local/bin/cicdops", "listen" }, "/var/lib/cicdops");
        // Nothing that would make install.sh, run.sh or an app see a different system than a CLI deployment does.
        Assert.Contains("ProtectSystem=false\n", unit);
        Assert.DoesNotContain("ProtectControlGroups=true", unit);
        Assert.DoesNotContain("PrivateTmp=true", unit);
        Assert.DoesNotContain("ProtectKernelTunables=true", unit);
        Assert.Contains("install packages with sudo", unit);
        Assert.Contains("# The installed self-contained executable", unit);
    }

    [Fact]
    public void The_secrets_come_from_the_environment_file_or_from_files_on_the_command_line()
    {
        var withEnv = SystemdUnit.Render(new[] { "/usr/local/bin/cicdops", "listen" }, "/var/lib/cicdops", "/etc/cicdops/listener.env");
        Assert.Contains("\nEnvironmentFile=/etc/cicdops/listener.env\n", withEnv);
        var withFiles = SystemdUnit.Render(new[] { "/usr/local/bin/cicdops", "listen", "--webhook-secret-file", "/etc/cicdops/s" }, "/var/lib/cicdops");
        Assert.DoesNotContain("EnvironmentFile", withFiles);
        Assert.Contains("files named on the command line", withFiles);
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
