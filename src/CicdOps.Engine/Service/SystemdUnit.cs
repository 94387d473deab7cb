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

    /// <param name="execStart">The listener command, as an argument list (quoted here for systemd).</param>
    public static string Render(IReadOnlyList<string> execStart, string dataPath)
    {
        if (execStart.Count == 0) throw new ArgumentException("empty command", nameof(execStart));
        var exec = string.Join(' ', execStart.Select(Quote));
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
            ExecStart={exec}
            Environment=CICDOPS_HOME={Quote(dataPath)}
            # The webhook secret lives in a root-only file, never on the command line or in the unit:
            # EnvironmentFile=-/etc/cicdops/listener.env   (CICDOPS_WEBHOOK_SECRET=...)
            # On SIGTERM the listener stops accepting and lets running deployments finish; give it time.
            TimeoutStopSec=120
            Restart=on-failure
            RestartSec=2
            # Apps are started detached in their own sessions and must survive a restart of the listener:
            # only the listener process itself is stopped, never the apps in its cgroup.
            KillMode=process
            # Root is needed (creating service users, setpriv to them, sudoers drop-ins, chown of trees),
            # so no User= here; each app runs as its own unprivileged user instead.
            # NoNewPrivileges and RestrictSUIDSGID stay off: install.sh may use sudo when a project allows it.
            # The capability bounding set is not narrowed for the same reason (package installs need root).
            UMask=0077
            # /usr and /boot read-only; /etc stays writable (useradd, /etc/sudoers.d) and app paths are anywhere.
            ProtectSystem=true
            # Apps inherit the listener's mount namespace: a private /tmp or /home would surprise them.
            PrivateTmp=false
            ProtectHome=false
            ProtectKernelTunables=true
            ProtectKernelModules=true
            ProtectKernelLogs=true
            ProtectControlGroups=true
            ProtectClock=true
            ProtectHostname=true
            LockPersonality=true
            RestrictRealtime=true
            RestrictNamespaces=false
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
