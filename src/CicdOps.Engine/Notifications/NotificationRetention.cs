using CicdOps.Engine.State;
using Microsoft.Data.Sqlite;

namespace CicdOps.Engine.Notifications;

/// <summary>
/// Keeps the notification tables bounded: dispatched outbox events and finished deliveries (sent, suppressed, given up)
/// older than <see cref="KeepFor"/> are deleted by the listener's periodic tasks. Pending deliveries are never pruned
/// here (they give up after a day on their own).
/// </summary>
internal static class NotificationRetention
{
    public static readonly TimeSpan KeepFor = TimeSpan.FromDays(30);

    /// <summary>Deletes what finished before <paramref name="cutoff"/>; returns how many rows went.</summary>
    public static int Prune(SqliteConnection c, DateTimeOffset cutoff)
    {
        var before = cutoff.ToMs();
        var n = c.Execute("DELETE FROM notification_deliveries WHERE status <> 'Pending' AND created_at < $t", ("$t", before));
        n += c.Execute("DELETE FROM notification_outbox WHERE dispatched_at IS NOT NULL AND created_at < $t", ("$t", before));
        return n;
    }
}
