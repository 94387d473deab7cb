using System.Text;

namespace CicdOps.Engine.Service;

/// <summary>
/// Writes the systemd unit that runs the listener as a service. The hardening is chosen for a process
/// that must create users, drop to them, grant temporary sudo and leave apps running across restarts;
/// each option says why in the unit itself, so whoever reads /etc/systemd/system/cicdops.service knows.
/// </summary>
public static class SystemdUnit
{
    public const string DefaultPath = "/etc/systemd/system/cicdops.service";

    /// <summary>Where the unit reads the listener's secrets from when they are not files named on its command line.</summary>
    public const string DefaultEnvironmentFile = "/etc/cicdops/listener.env";

    /// <param name="execStart">The listener command, as an argument list (quoted here for systemd).</param>
    /// <param name="environmentFile">A root-only file with CICDOPS_WEBHOOK_SECRET=... (and CICDOPS_GITLAB_TOKEN=...), or null.</param>
    public static string Render(IReadOnlyList<string> execStart, string dataPath, string? environmentFile = null)
    {
        if (execStart.Count == 0) throw new ArgumentException("empty command", nameof(execStart));
        var exec = string.Join(' ', execStart.Select(Quote));
        var secrets = environmentFile is null
            ? "# The secrets are files named on the command line (root-only), never values in the unit or in argv."
            : $"# The secrets live in a root-only file (CICDOPS_WEBHOOK_SECRET=..., CICDOPS_GITLAB_TOKEN=...), never in argv or here.\n" +
              $"EnvironmentFile={Quote(environmentFile)}";
        var sb = new StringBuilder();
        sb.Append($"""
            # CicdOps webhook listener. Written by `cicdops service install`; edit with `systemctl edit cicdops`.
            [Unit]
            Description=CicdOps push-to-deploy listener
            Documentation=https://github.com/cicdops/cicdops
            After=network-online.target
            Wants=network-online.target

            [Service]
            Type=simple
            # The installed self-contained executable: never a build output inside a checkout, which a git pull rebuilds.
            ExecStart={exec}
            Environment=CICDOPS_HOME={Quote(dataPath)}
            {secrets}
            # On SIGTERM the listener stops accepting and lets running deployments finish; give it time.
            TimeoutStopSec=120
            Restart=on-failure
            RestartSec=2
            # Apps are started detached in their own sessions and must survive a restart of the listener, as they
            # survive the end of the `cicdops deploy` that started them: only the listener process itself is stopped,
            # never the apps in its cgroup. The next deployment's Stop stage stops an app, whoever started it.
            KillMode=process
            # Root is needed (creating service users, setpriv to them, sudoers drop-ins, chown of trees), so no User=
            # here; each app runs as its own unprivileged user instead.
            # Everything a deployment starts inherits this unit's sandbox, while a deployment from the CLI runs in the
            # operator's session. To keep the two the same, nothing below changes what install.sh, run.sh or an app
            # can see or do: the filesystem is not made read-only (install.sh may install packages with sudo when a
            # project allows it, and those go to /usr), NoNewPrivileges and RestrictSUIDSGID stay off (sudo is setuid),
            # the capability set is not narrowed, /tmp and /home are the system's own, and control groups stay
            # writable (the engine may place apps in their own). The protection is each app's unprivileged user.
            ProtectSystem=false
            PrivateTmp=false
            ProtectHome=false
            UMask=0077
            # What no deployment needs and only a compromised root process would do:
            ProtectKernelModules=true
            ProtectKernelLogs=true
            ProtectClock=true
            LockPersonality=true
            RestrictRealtime=true
            SystemCallArchitectures=native
            # Journald-friendly: one event per line on stdout.
            StandardOutput=journal
            StandardError=journal
            SyslogIdentifier=cicdops

            [Install]
            WantedBy=multi-user.target

            """);
        return sb.ToString();
    }

    /// <summary>systemd's own quoting: double quotes, with backslash, quote and '%' / '$' escaped.</summary>
    private static string Quote(string arg)
    {
        if (arg.Any(char.IsControl)) throw new ArgumentException("control characters are not allowed in a unit", nameof(arg));
        var escaped = arg.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("%", "%%").Replace("$", "$$");
        return escaped.Length > 0 && escaped.All(c => char.IsLetterOrDigit(c) || "/._-=:,+@".Contains(c)) ? escaped : $"\"{escaped}\"";
    }
}
