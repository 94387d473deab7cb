using CicdOps.Engine;
using CicdOps.Engine.Notifications;
using CicdOps.Engine.State;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Notifications;

/// <summary>Shared steps of the notification tests: channels on a receiver, events written as the engine writes them, sender passes.</summary>
internal static class NotificationTestKit
{
    public const string SigningSecret = "whsec-0123456789abcdef";

    public static EngineOptions FastRetries => new()
    {
        NotificationRetryBase = TimeSpan.FromMilliseconds(100),
        NotificationRetryMax = TimeSpan.FromMilliseconds(400),
        NotificationTimeout = TimeSpan.FromSeconds(1),
        NotificationPollInterval = TimeSpan.FromMilliseconds(100),
    };

    public static NotificationChannel AddHttp(this EngineHarness h, string name, NotificationChannelType type, HttpReceiver r,
        TimeSpan? minInterval = null, IReadOnlyList<NotificationEventKind>? events = null, IReadOnlyList<string>? projects = null) =>
        h.Engine.AddNotificationChannel(name, new NotificationChannelSpec
        {
            Type = type, Url = r.Url("/hook/" + name + "/T0KEN-abcdef123456"), SigningSecret = type == NotificationChannelType.Webhook ? SigningSecret : null,
            MinInterval = minInterval ?? TimeSpan.Zero, Events = events, Projects = projects,
        });

    /// <summary>Writes an event exactly as the engine's own writers do: through the outbox, in a write transaction.</summary>
    public static void Enqueue(this EngineHarness h, NotificationEvent e) =>
        new Database(h.DataPath).Write(c => NotificationOutbox.Enqueue(c, e));

    public static int Pass(this EngineHarness h, List<string>? log = null, TimeProvider? clock = null) =>
        h.Engine.SendNotificationsAsync(l => { if (log is not null) lock (log) log.Add(l); }, CancellationToken.None, clock).GetAwaiter().GetResult();

    /// <summary>Passes until <paramref name="done"/> holds (the backoff decides when a channel is tried again), at most 30 s.</summary>
    public static void PassUntil(this EngineHarness h, Func<bool> done, List<string>? log = null)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (!done())
        {
            if (DateTime.UtcNow > until) Assert.Fail("the sender did not get there within 30 s");
            h.Pass(log);
            Thread.Sleep(50);
        }
    }

    public static long Count(this EngineHarness h, string sql) =>
        new Database(h.DataPath).Read(c => Convert.ToInt64(c.Scalar(sql)));
}
