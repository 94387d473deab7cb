using System.Diagnostics;
using CicdOps.Engine.Notifications;
using CicdOps.Engine.State;

namespace CicdOps.Engine;

/// <summary>Notification channels (`cicdops notify`, *-CicdNotificationChannel): what front ends call. See Notifications/.</summary>
public sealed partial class CicdEngine
{
    public NotificationChannel AddNotificationChannel(string name, NotificationChannelSpec spec)
    {
        ChannelStore.CheckName(name);
        var checkedSpec = ChannelSpecCheck.Check(spec, null);
        _ctx.Db.Write(c =>
        {
            if (ChannelStore.Exists(c, name))
                throw new CicdException(CicdError.NotificationChannelExists, $"A notification channel named '{name}' exists already; change it with `notify set` / Set-CicdNotificationChannel.", name);
            ChannelStore.Insert(c, _ctx.Secrets.Key, name, checkedSpec.Type, checkedSpec.Settings, checkedSpec.Secrets,
                checkedSpec.Events, checkedSpec.Projects, checkedSpec.MinInterval);
        });
        return GetNotificationChannel(name);
    }

    /// <summary>Changes what <paramref name="spec"/> sets; a changed URL or secret also clears the channel's backoff, so it is tried at once.</summary>
    public NotificationChannel SetNotificationChannel(string name, NotificationChannelSpec spec)
    {
        _ctx.Db.Write(c =>
        {
            var shown = ChannelStore.Find(c, name) ?? throw NoChannel(c, name);
            var open = ChannelStore.Open(c, _ctx.Secrets.Key, name)!;
            var current = new ChannelSpecCheck.Result(open.Type, open.Settings, open.Secrets, shown.Events, shown.Projects, shown.MinInterval);
            var next = ChannelSpecCheck.Check(spec, current);
            var clear = spec.Url is not null || spec.SigningSecret is not null || spec.SmtpPassword is not null || spec.SmtpUser is not null
                || spec.CaFile is not null || spec.SmtpSecurity is not null;
            ChannelStore.Update(c, _ctx.Secrets.Key, name, next.Settings, next.Secrets, next.Events, next.Projects, next.MinInterval, clear);
        });
        return GetNotificationChannel(name);
    }

    public IReadOnlyList<NotificationChannel> GetNotificationChannels() => _ctx.Db.Read(ChannelStore.List);

    public NotificationChannel GetNotificationChannel(string name) =>
        _ctx.Db.Read(c => ChannelStore.Find(c, name) ?? throw NoChannel(c, name));

    /// <summary>Removes the channel with its pending and past deliveries.</summary>
    public void RemoveNotificationChannel(string name) => _ctx.Db.Write(c =>
    {
        if (!ChannelStore.Delete(c, name)) throw NoChannel(c, name);
    });

    /// <summary>Deliveries newest first, of one channel or all.</summary>
    public IReadOnlyList<NotificationDelivery> GetNotificationHistory(string? channel = null, int limit = 50)
    {
        if (limit < 1) throw new CicdException(CicdError.InvalidArgument, "The limit must be at least 1.", limit);
        return _ctx.Db.Read(c =>
        {
            if (channel is not null && !ChannelStore.Exists(c, channel)) throw NoChannel(c, channel);
            return c.Query("""
                SELECT d.*, ch.retry_at FROM notification_deliveries d JOIN notification_channels ch ON ch.name = d.channel
                WHERE ($c IS NULL OR d.channel = $c) ORDER BY d.id DESC LIMIT $l
                """, r =>
            {
                var m = NotificationMessage.FromJson(r.Str("message")!);
                var status = r.Enum<NotificationDeliveryStatus>("status");
                return new NotificationDelivery
                {
                    Id = r.Long("id")!.Value,
                    Channel = r.Str("channel")!,
                    Event = m.Kind,
                    Project = m.Project,
                    Status = status,
                    Repeats = m.Repeats,
                    Text = NotificationText.Title(m),
                    Attempts = (int)r.Long("attempts")!.Value,
                    LastError = r.Str("last_error"),
                    CreatedAt = r.Time("created_at")!.Value,
                    SentAt = r.Time("sent_at"),
                    NextAttemptAt = status == NotificationDeliveryStatus.Pending ? r.Time("retry_at") : null,
                };
            }, ("$c", channel), ("$l", limit));
        });
    }

    /// <summary>Sends a test message now (not through the outbox) and returns the channel's answer; a refusal is a result, not an error.</summary>
    public async Task<NotificationTestResult> TestNotificationChannelAsync(string name, CancellationToken cancellationToken = default)
    {
        var ch = _ctx.Db.Read(c => ChannelStore.Open(c, _ctx.Secrets.Key, name) ?? throw NoChannel(c, name));
        var m = new NotificationMessage
        {
            Kind = NotificationEventKind.Test,
            Node = NotificationOutbox.NodeName,
            Reason = $"a test of channel '{name}' sent by `cicdops notify test`",
            Command = NotificationText.DefaultCommand(NotificationEventKind.Test, null),
            OccurredAt = DateTimeOffset.UtcNow,
        };
        var watch = Stopwatch.StartNew();
        try
        {
            var answer = await NotificationTransport.SendAsync(ch, m, 0, _ctx.Options.NotificationTimeout, cancellationToken);
            return new NotificationTestResult(name, true, answer, watch.Elapsed);
        }
        catch (NotificationSendException e) { return new NotificationTestResult(name, false, e.Message, watch.Elapsed); }
    }

    /// <summary>One dispatch-and-send round of the listener's sender (what `cicdops listen` runs every second).</summary>
    internal Task<int> SendNotificationsAsync(Action<string> log, CancellationToken cancellationToken = default, TimeProvider? clock = null) =>
        new NotificationSender(_ctx, log, clock).PassAsync(cancellationToken);

    private static CicdException NoChannel(Microsoft.Data.Sqlite.SqliteConnection c, string name)
    {
        var names = ChannelStore.List(c).Select(ch => ch.Name).ToList();
        var hint = names.Count == 0 ? " No channel exists yet; add one with `notify add` / Add-CicdNotificationChannel." : $" Channels: {string.Join(", ", names)}.";
        return new CicdException(CicdError.NotificationChannelNotFound, $"No notification channel named '{name}'.{hint}", name);
    }
}
