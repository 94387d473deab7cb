using CicdOps.Engine.State;
using Microsoft.Data.Sqlite;

namespace CicdOps.Engine.Notifications;

/// <summary>
/// Turns outbox events into per-channel deliveries, inside one write transaction: each event goes to the channels
/// whose event and project filters match, and a repeat of the same event on the same project within a channel's
/// minimum interval is held back (recorded Suppressed) and later folded into one summary — a crash loop of fifty
/// failed deployments is one message, then "49 more". Times are the events' own, so a backlog dispatched late
/// folds the same way.
/// </summary>
internal static class NotificationDispatcher
{
    private sealed record Channel(string Name, IReadOnlyList<NotificationEventKind> Events, IReadOnlyList<string> Projects, long IntervalMs)
    {
        public bool Wants(NotificationEventKind kind, string? project) =>
            (Events.Count == 0 || Events.Contains(kind)) && (Projects.Count == 0 || (project is not null && Projects.Contains(project)));
    }

    /// <summary>Dispatches up to <paramref name="batch"/> undispatched events and any summaries now due; returns how many deliveries became pending.</summary>
    public static int Dispatch(SqliteConnection c, DateTimeOffset now, int batch = 500)
    {
        var channels = c.Query("SELECT name, events, projects, min_interval_ms FROM notification_channels", r => new Channel(
            r.Str("name")!, ChannelStore.ParseEvents(r.Str("events")), ChannelStore.ParseProjects(r.Str("projects")), r.Long("min_interval_ms")!.Value));
        var events = c.Query("SELECT * FROM notification_outbox WHERE dispatched_at IS NULL ORDER BY id LIMIT $n", r => (
            Id: r.Long("id")!.Value,
            Message: new NotificationMessage
            {
                Kind = r.Enum<NotificationEventKind>("kind"),
                Project = r.Str("project"),
                Node = r.Str("node")!,
                Commit = r.Str("commit_sha"),
                CommitUrl = r.Str("commit_url"),
                Reason = r.Str("reason"),
                Subject = r.Str("subject"),
                Command = r.Str("command") ?? NotificationText.DefaultCommand(r.Enum<NotificationEventKind>("kind"), r.Str("project")),
                Count = (int)r.Long("count")!.Value,
                OccurredAt = r.Time("created_at")!.Value,
            }), ("$n", batch));
        var pending = 0;
        foreach (var (id, m) in events)
        {
            foreach (var ch in channels.Where(ch => ch.Wants(m.Kind, m.Project)))
                pending += Route(c, ch, id, m, now.ToMs());
            c.Execute("UPDATE notification_outbox SET dispatched_at = $now WHERE id = $id", ("$now", now.ToMs()), ("$id", id));
        }
        foreach (var ch in channels) pending += DueSummaries(c, ch.Name, now.ToMs() - ch.IntervalMs, now.ToMs());
        return pending;
    }

    private static int Route(SqliteConnection c, Channel ch, long eventId, NotificationMessage m, long now)
    {
        var at = m.OccurredAt.ToMs();
        var key = m.Project ?? "";
        if (ch.IntervalMs > 0)
        {
            var t = c.Query("SELECT last_sent_at, suppressed FROM notification_throttle WHERE channel = $c AND kind = $k AND project = $p",
                r => (Last: r.Long("last_sent_at")!.Value, Suppressed: r.Long("suppressed")!.Value),
                ("$c", ch.Name), ("$k", m.Kind.ToString()), ("$p", key)).Select(x => ((long, long)?)x).FirstOrDefault();
            if (t is { } row && at - row.Item1 < ch.IntervalMs)
            {
                Insert(c, ch.Name, eventId, m, NotificationDeliveryStatus.Suppressed, now);
                c.Execute("""
                    UPDATE notification_throttle SET suppressed = suppressed + 1, first_suppressed_at = COALESCE(first_suppressed_at, $at),
                        last_message = $m WHERE channel = $c AND kind = $k AND project = $p
                    """, ("$at", at), ("$m", m.ToJson()), ("$c", ch.Name), ("$k", m.Kind.ToString()), ("$p", key));
                return 0;
            }
            // The interval has passed: what was held back is summarised before the new event goes out.
            var summaries = t is { Item2: > 0 } ? DueSummaries(c, ch.Name, long.MaxValue, now, m.Kind, key) : 0;
            c.Execute("""
                INSERT INTO notification_throttle (channel, kind, project, last_sent_at, suppressed) VALUES ($c, $k, $p, $at, 0)
                ON CONFLICT (channel, kind, project) DO UPDATE SET last_sent_at = $at, suppressed = 0, first_suppressed_at = NULL, last_message = NULL
                """, ("$c", ch.Name), ("$k", m.Kind.ToString()), ("$p", key), ("$at", at));
            Insert(c, ch.Name, eventId, m, NotificationDeliveryStatus.Pending, now);
            return summaries + 1;
        }
        Insert(c, ch.Name, eventId, m, NotificationDeliveryStatus.Pending, now);
        return 1;
    }

    /// <summary>One summary per throttle row of the channel with held-back repeats whose last message went out before <paramref name="sentBefore"/>.</summary>
    private static int DueSummaries(SqliteConnection c, string channel, long sentBefore, long now, NotificationEventKind? kind = null, string? project = null)
    {
        var rows = c.Query("""
            SELECT kind, project, suppressed, first_suppressed_at, last_message FROM notification_throttle
            WHERE channel = $c AND suppressed > 0 AND last_sent_at <= $before AND ($k IS NULL OR (kind = $k AND project = $p))
            """, r => (Kind: r.Str("kind")!, Project: r.Str("project")!, N: (int)r.Long("suppressed")!.Value,
                Since: r.Time("first_suppressed_at"), Last: r.Str("last_message")!),
            ("$c", channel), ("$before", sentBefore), ("$k", kind?.ToString()), ("$p", project));
        foreach (var row in rows)
        {
            var m = NotificationMessage.FromJson(row.Last) with { Repeats = row.N, RepeatsSince = row.Since };
            Insert(c, channel, null, m, NotificationDeliveryStatus.Pending, now);
            c.Execute("""
                UPDATE notification_throttle SET suppressed = 0, first_suppressed_at = NULL, last_message = NULL, last_sent_at = MAX(last_sent_at, $now)
                WHERE channel = $c AND kind = $k AND project = $p
                """, ("$now", now), ("$c", channel), ("$k", row.Kind), ("$p", row.Project));
        }
        return rows.Count;
    }

    private static void Insert(SqliteConnection c, string channel, long? eventId, NotificationMessage m, NotificationDeliveryStatus status, long now) => c.Execute("""
        INSERT INTO notification_deliveries (channel, event_id, kind, project, status, repeats, message, created_at)
        VALUES ($c, $e, $k, $p, $s, $r, $m, $now)
        """, ("$c", channel), ("$e", eventId), ("$k", m.Kind.ToString()), ("$p", m.Project), ("$s", status.ToString()),
        ("$r", m.Repeats), ("$m", m.ToJson()), ("$now", now));
}
