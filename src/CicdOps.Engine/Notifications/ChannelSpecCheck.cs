using System.Net;
using System.Net.Mail;

namespace CicdOps.Engine.Notifications;

/// <summary>
/// Turns what `notify add/set` asked for into stored settings and secrets, refusing anything unusable with one line:
/// a URL that is not https (http only to loopback, where nothing crosses a network), an email channel without
/// sender or recipients, a password that would cross the network in clear, a webhook without a signing secret.
/// </summary>
internal static class ChannelSpecCheck
{
    public sealed record Result(NotificationChannelType Type, ChannelSettings Settings, ChannelSecrets Secrets,
        IReadOnlyList<NotificationEventKind> Events, IReadOnlyList<string> Projects, TimeSpan MinInterval);

    public static readonly TimeSpan DefaultMinInterval = TimeSpan.FromMinutes(10);

    public static Result Check(NotificationChannelSpec spec, Result? current)
    {
        var type = spec.Type ?? current?.Type ?? throw Bad("Give the channel's type (webhook, slack, discord, teams or email).");
        if (current is not null && spec.Type is { } t && t != current.Type)
            throw Bad($"A channel's type cannot change ({current.Type} → {t}); remove it and add it again.");
        var url = spec.Url ?? current?.Secrets.Url ?? throw Bad("Give the channel's URL.");
        var settings = current?.Settings ?? new ChannelSettings();
        var secrets = current?.Secrets ?? new ChannelSecrets();

        if (spec.CaFile is { } ca)
        {
            if (ca.Length > 0 && !File.Exists(ca)) throw Bad($"The CA file '{ca}' does not exist.");
            settings = settings with { CaFile = ca.Length == 0 ? null : Path.GetFullPath(ca) };
        }
        secrets = secrets with { Url = url };
        if (type == NotificationChannelType.Email)
        {
            var (security, host, port) = SmtpTarget(url, spec.SmtpSecurity ?? (spec.Url is null ? settings.SmtpSecurity : null));
            var from = spec.From ?? settings.From ?? throw Bad("An email channel needs a sender: --from ADDRESS / -From.");
            var to = spec.To?.ToList() ?? settings.To;
            if (to.Count == 0) throw Bad("An email channel needs at least one recipient: --to ADDRESS / -To.");
            foreach (var a in to.Append(from))
                if (!MailAddress.TryCreate(a, out _)) throw Bad($"'{a}' is not an email address.");
            var user = spec.SmtpUser ?? settings.SmtpUser;
            var password = spec.SmtpPassword ?? secrets.Password;
            if (user is not null && password is null) throw Bad("An SMTP user needs a password (--password-file FILE / -Credential).");
            if (password is not null && security == SmtpSecurity.None && !IsLoopback(host))
                throw Bad("An SMTP password would cross the network in clear: use smtp:// (STARTTLS) or smtps:// (TLS), not --tls none.");
            settings = settings with
            {
                From = from, To = to, SmtpUser = user, SmtpSecurity = security,
                Target = $"{(security == SmtpSecurity.Tls ? "smtps" : "smtp")}://{host}:{port} → {string.Join(", ", to)}",
            };
            secrets = secrets with { Password = password };
        }
        else
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var u) || u.Scheme is not ("https" or "http") || u.Host.Length == 0)
                throw Bad("The URL must be an absolute https:// URL.");
            if (u.Scheme == "http" && !IsLoopback(u.Host))
                throw Bad("The URL must use https:// (http:// is accepted only for a receiver on this machine's loopback).");
            if (u.UserInfo.Length > 0) throw Bad("Put no user:password in the URL; chat webhooks carry their token in the path.");
            var signing = spec.SigningSecret ?? secrets.SigningSecret;
            if (type == NotificationChannelType.Webhook && string.IsNullOrEmpty(signing))
                throw Bad("A webhook channel needs a signing secret (--secret-file FILE / -SigningSecret): receivers verify the HMAC with it.");
            if (signing is { Length: < 16 }) throw Bad("The signing secret must have at least 16 characters.");
            secrets = secrets with { SigningSecret = type == NotificationChannelType.Webhook ? signing : null };
            // The path of a chat URL is its token: only scheme and host are ever shown.
            settings = settings with { Target = $"{u.Scheme}://{u.Authority}/***" };
        }

        var interval = spec.MinInterval ?? current?.MinInterval ?? DefaultMinInterval;
        if (interval < TimeSpan.Zero || interval > TimeSpan.FromDays(7)) throw Bad("The minimum interval must be between 0 and 7 days.");
        var projects = spec.Projects ?? current?.Projects ?? [];
        foreach (var p in projects) Validation.Names.ProjectName(p);
        return new Result(type, settings, secrets, spec.Events ?? current?.Events ?? [], projects, interval);
    }

    private static (SmtpSecurity, string Host, int Port) SmtpTarget(string url, SmtpSecurity? asked)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var u) || u.Scheme is not ("smtp" or "smtps") || u.Host.Length == 0)
            throw Bad("An email channel's URL is smtp://HOST[:PORT] (STARTTLS, port 587) or smtps://HOST[:PORT] (TLS, port 465).");
        if (u.UserInfo.Length > 0) throw Bad("Put no user:password in the URL; use --user and --password-file.");
        var security = asked ?? (u.Scheme == "smtps" ? SmtpSecurity.Tls : SmtpSecurity.StartTls);
        var port = u.IsDefaultPort || u.Port <= 0 ? (u.Scheme == "smtps" ? 465 : 587) : u.Port;
        return (security, u.Host, port);
    }

    public static (string Host, int Port) HostPort(string url)
    {
        var u = new Uri(url);
        return (u.Host, u.IsDefaultPort || u.Port <= 0 ? (u.Scheme == "smtps" ? 465 : 587) : u.Port);
    }

    private static bool IsLoopback(string host) =>
        host is "localhost" || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    private static CicdException Bad(string message) => new(CicdError.InvalidArgument, message, null);
}
