using CicdOps.Engine.State;

namespace CicdOps.Engine.Notifications;

/// <summary>
/// The listener's delivery loop (`cicdops listen`): each pass dispatches new outbox events to channels, then sends
/// each channel's pending messages in order, channels in parallel. A failure puts the whole channel in exponential
/// backoff (<see cref="EngineOptions.NotificationRetryBase"/> doubling up to <see cref="EngineOptions.NotificationRetryMax"/>),
/// a message older than <see cref="EngineOptions.NotificationGiveUpAfter"/> (a day) is given up, and a channel that
/// keeps failing is reported once in the listener log (and once more when it delivers again), not per message.
/// Nothing here runs inside a deployment: a dead channel can never slow or fail one.
/// </summary>
internal sealed class NotificationSender
{
    /// <summary>Consecutive failures after which a channel is reported as not delivering.</summary>
    public const int ReportAfterFailures = 3;

    private readonly EngineContext _ctx;
    private readonly Action<string> _log;
    private readonly TimeProvider _clock;

    public NotificationSender(EngineContext ctx, Action<string> log, TimeProvider? clock = null)
    {
        _ctx = ctx;
        _log = log;
        _clock = clock ?? TimeProvider.System;
    }

    private EngineOptions Options => _ctx.Options;

    /// <summary>Passes every <see cref="EngineOptions.NotificationPollInterval"/> until <paramref name="stop"/>; never throws.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try { await PassAsync(stop).ConfigureAwait(false); }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { break; }
            catch (Exception e) { _log("warning: notifications: " + NotificationTransport.OneLine(e.Message)); }
            try { await Task.Delay(Options.NotificationPollInterval, stop).ConfigureAwait(false); }
            catch (OperationCanceledException) { break; }
        }
    }

    /// <summary>One dispatch and send round. Returns how many messages were sent.</summary>
    public async Task<int> PassAsync(CancellationToken ct)
    {
        var now = _clock.GetUtcNow();
        _ctx.Db.Write(c => NotificationDispatcher.Dispatch(c, now));
        var due = _ctx.Db.Read(c => c.Query("""
            SELECT name FROM notification_channels ch WHERE (retry_at IS NULL OR retry_at <= $now)
                AND EXISTS (SELECT 1 FROM notification_deliveries d WHERE d.channel = ch.name AND d.status = 'Pending')
            """, r => r.Str("name")!, ("$now", now.ToMs())));
        if (due.Count == 0) return 0;
        var sent = await Task.WhenAll(due.Select(name => SendChannelAsync(name, now, ct))).ConfigureAwait(false);
        return sent.Sum();
    }

    private async Task<int> SendChannelAsync(string name, DateTimeOffset now, CancellationToken ct)
    {
        ChannelForSending? ch;
        try { ch = _ctx.Db.Read(c => ChannelStore.Open(c, _ctx.Secrets.Key, name)); }
        catch (CicdException e)
        {
            Failed(name, now, e.Message);
            return 0;
        }
        if (ch is null) return 0; // removed meanwhile
        var pending = _ctx.Db.Read(c => c.Query("""
            SELECT id, message, created_at FROM notification_deliveries WHERE channel = $c AND status = 'Pending' ORDER BY id LIMIT 50
            """, r => (Id: r.Long("id")!.Value, Message: r.Str("message")!, Created: r.Time("created_at")!.Value), ("$c", name)));
        var sent = 0;
        foreach (var d in pending)
        {
            if (now - d.Created > Options.NotificationGiveUpAfter)
            {
                _ctx.Db.Write(c => c.Execute("""
                    UPDATE notification_deliveries SET status = 'GaveUp',
                        last_error = COALESCE(last_error, 'not sent') || ' (given up: older than ' || $age || ')' WHERE id = $id
                    """, ("$age", Options.NotificationGiveUpAfter.ToString()), ("$id", d.Id)));
                continue;
            }
            try
            {
                var answer = await NotificationTransport.SendAsync(ch, NotificationMessage.FromJson(d.Message), d.Id, Options.NotificationTimeout, ct).ConfigureAwait(false);
                Succeeded(name, d.Id, answer, _clock.GetUtcNow());
                sent++;
            }
            catch (NotificationSendException e)
            {
                _ctx.Db.Write(c => c.Execute("UPDATE notification_deliveries SET attempts = attempts + 1, last_error = $e WHERE id = $id",
                    ("$e", e.Message), ("$id", d.Id)));
                Failed(name, now, e.Message);
                break; // the channel is in backoff now: its later messages wait with this one, in order
            }
        }
        return sent;
    }

    private void Succeeded(string channel, long id, string answer, DateTimeOffset at)
    {
        var wasFailing = _ctx.Db.Write(c =>
        {
            c.Execute("UPDATE notification_deliveries SET status = 'Sent', attempts = attempts + 1, sent_at = $now, last_error = NULL WHERE id = $id",
                ("$now", at.ToMs()), ("$id", id));
            var reported = Convert.ToInt64(c.Scalar("SELECT reported_dead FROM notification_channels WHERE name = $c", ("$c", channel)) ?? 0L) == 1;
            c.Execute("UPDATE notification_channels SET failures = 0, retry_at = NULL, failing_since = NULL, last_error = NULL, reported_dead = 0 WHERE name = $c",
                ("$c", channel));
            return reported;
        });
        if (wasFailing) _log($"notify: channel {channel} delivers again ({answer})");
    }

    private void Failed(string channel, DateTimeOffset now, string error)
    {
        var report = _ctx.Db.Write(c =>
        {
            var failures = Convert.ToInt32(c.Scalar("SELECT failures FROM notification_channels WHERE name = $c", ("$c", channel)) ?? 0L) + 1;
            var delay = Backoff(Options, failures);
            var first = failures >= ReportAfterFailures &&
                Convert.ToInt64(c.Scalar("SELECT reported_dead FROM notification_channels WHERE name = $c", ("$c", channel)) ?? 1L) == 0;
            c.Execute("""
                UPDATE notification_channels SET failures = $f, retry_at = $retry, failing_since = COALESCE(failing_since, $now), last_error = $e,
                    reported_dead = CASE WHEN $first THEN 1 ELSE reported_dead END
                WHERE name = $c
                """, ("$f", failures), ("$retry", (now + delay).ToMs()), ("$now", now.ToMs()), ("$e", error), ("$first", first ? 1 : 0), ("$c", channel));
            return first;
        });
        if (report)
            _log($"notify: channel {channel} is not delivering ({error}); its messages are kept and retried with backoff for up to " +
                 $"{Options.NotificationGiveUpAfter.TotalHours:0.#} h (see `cicdops notify list`)");
    }

    /// <summary>The base doubled per consecutive failure, capped.</summary>
    public static TimeSpan Backoff(EngineOptions options, int failures)
    {
        var ms = options.NotificationRetryBase.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 30));
        return TimeSpan.FromMilliseconds(Math.Min(ms, options.NotificationRetryMax.TotalMilliseconds));
    }
}
