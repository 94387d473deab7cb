using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CicdOps.Engine.Secrets;
using CicdOps.Engine.State;
using Microsoft.Data.Sqlite;

namespace CicdOps.Engine.Notifications;

/// <summary>
/// Rows of notification_channels. Secrets are sealed with the master key under the reserved project "@notify"
/// and the channel's name as associated data, so a row renamed or copied does not decrypt. Callers own the transaction.
/// </summary>
internal static partial class ChannelStore
{
    public const string SecretScope = "@notify";

    [GeneratedRegex(@"\A[a-z0-9][a-z0-9_-]{0,62}\z")]
    private static partial Regex NamePattern();

    public static string CheckName(string? name)
    {
        if (name is null || !NamePattern().IsMatch(name))
            throw new CicdException(CicdError.InvalidArgument,
                $"Invalid channel name '{name}': use 1-63 lowercase letters, digits, '-' and '_', starting with a letter or digit.", name);
        return name;
    }

    public static bool Exists(SqliteConnection c, string name) =>
        c.Scalar("SELECT 1 FROM notification_channels WHERE name = $n", ("$n", name)) is not null;

    public static void Insert(SqliteConnection c, MasterKey key, string name, NotificationChannelType type, ChannelSettings settings,
        ChannelSecrets secrets, IReadOnlyList<NotificationEventKind> events, IReadOnlyList<string> projects, TimeSpan minInterval)
    {
        var sealedSecrets = Seal(key, name, secrets);
        var now = DateTimeOffset.UtcNow.ToMs();
        c.Execute("""
            INSERT INTO notification_channels (name, type, events, projects, min_interval_ms, settings, nonce, ciphertext, tag, created_at, updated_at)
            VALUES ($n, $t, $e, $p, $i, $s, $nonce, $ct, $tag, $now, $now)
            """, ("$n", name), ("$t", type.ToString()), ("$e", JoinEvents(events)), ("$p", JoinProjects(projects)),
            ("$i", (long)minInterval.TotalMilliseconds), ("$s", JsonSerializer.Serialize(settings, ChannelSettings.Json)),
            ("$nonce", sealedSecrets.Nonce), ("$ct", sealedSecrets.Ciphertext), ("$tag", sealedSecrets.Tag), ("$now", now));
    }

    public static void Update(SqliteConnection c, MasterKey key, string name, ChannelSettings settings, ChannelSecrets secrets,
        IReadOnlyList<NotificationEventKind> events, IReadOnlyList<string> projects, TimeSpan minInterval, bool clearFailure)
    {
        var sealedSecrets = Seal(key, name, secrets);
        c.Execute("""
            UPDATE notification_channels SET events = $e, projects = $p, min_interval_ms = $i, settings = $s, nonce = $nonce,
                ciphertext = $ct, tag = $tag, updated_at = $now,
                failures = CASE WHEN $clear THEN 0 ELSE failures END, retry_at = CASE WHEN $clear THEN NULL ELSE retry_at END
            WHERE name = $n
            """, ("$n", name), ("$e", JoinEvents(events)), ("$p", JoinProjects(projects)), ("$i", (long)minInterval.TotalMilliseconds),
            ("$s", JsonSerializer.Serialize(settings, ChannelSettings.Json)), ("$nonce", sealedSecrets.Nonce),
            ("$ct", sealedSecrets.Ciphertext), ("$tag", sealedSecrets.Tag), ("$now", DateTimeOffset.UtcNow.ToMs()), ("$clear", clearFailure ? 1 : 0));
    }

    public static bool Delete(SqliteConnection c, string name) =>
        c.Execute("DELETE FROM notification_channels WHERE name = $n", ("$n", name)) > 0;

    public static List<NotificationChannel> List(SqliteConnection c) =>
        c.Query("""
            SELECT ch.*, (SELECT COUNT(*) FROM notification_deliveries d WHERE d.channel = ch.name AND d.status = 'Pending') AS pending
            FROM notification_channels ch ORDER BY ch.name
            """, Map);

    public static NotificationChannel? Find(SqliteConnection c, string name) =>
        c.Query("""
            SELECT ch.*, (SELECT COUNT(*) FROM notification_deliveries d WHERE d.channel = ch.name AND d.status = 'Pending') AS pending
            FROM notification_channels ch WHERE ch.name = $n
            """, Map, ("$n", name)).FirstOrDefault();

    /// <summary>A channel with its secrets decrypted, for the sender.</summary>
    public static ChannelForSending? Open(SqliteConnection c, MasterKey key, string name) =>
        c.Query("SELECT name, type, settings, nonce, ciphertext, tag FROM notification_channels WHERE name = $n", r =>
        {
            var sealedSecret = new SealedSecret((byte[])r["nonce"], (byte[])r["ciphertext"], (byte[])r["tag"]);
            var plain = SecretCipher.Open(key, SecretScope, name, sealedSecret);
            try
            {
                return new ChannelForSending(name, r.Enum<NotificationChannelType>("type"),
                    JsonSerializer.Deserialize<ChannelSettings>(r.Str("settings")!, ChannelSettings.Json)!,
                    JsonSerializer.Deserialize<ChannelSecrets>(plain, ChannelSettings.Json)!);
            }
            finally { Array.Clear(plain); }
        }, ("$n", name)).FirstOrDefault();

    private static SealedSecret Seal(MasterKey key, string name, ChannelSecrets secrets)
    {
        var plain = JsonSerializer.SerializeToUtf8Bytes(secrets, ChannelSettings.Json);
        try { return SecretCipher.Seal(key, SecretScope, name, plain); }
        finally { Array.Clear(plain); }
    }

    private static string? JoinEvents(IReadOnlyList<NotificationEventKind> events) =>
        events.Count == 0 ? null : string.Join(",", events.Distinct().Select(e => e.ToString()));

    private static string? JoinProjects(IReadOnlyList<string> projects) =>
        projects.Count == 0 ? null : string.Join("\n", projects.Distinct(StringComparer.Ordinal));

    public static IReadOnlyList<NotificationEventKind> ParseEvents(string? s) =>
        s is null ? [] : s.Split(',').Select(Enum.Parse<NotificationEventKind>).ToArray();

    public static IReadOnlyList<string> ParseProjects(string? s) => s is null ? [] : s.Split('\n');

    private static NotificationChannel Map(SqliteDataReader r)
    {
        var settings = JsonSerializer.Deserialize<ChannelSettings>(r.Str("settings")!, ChannelSettings.Json)!;
        return new NotificationChannel
        {
            Name = r.Str("name")!,
            Type = r.Enum<NotificationChannelType>("type"),
            Target = settings.Target,
            Events = ParseEvents(r.Str("events")),
            Projects = ParseProjects(r.Str("projects")),
            MinInterval = TimeSpan.FromMilliseconds(r.Long("min_interval_ms")!.Value),
            From = settings.From,
            To = settings.To,
            SmtpUser = settings.SmtpUser,
            SmtpSecurity = settings.SmtpSecurity,
            FailingSince = r.Time("failing_since"),
            LastError = r.Str("last_error"),
            Pending = (int)(r.Long("pending") ?? 0),
            CreatedAt = r.Time("created_at")!.Value,
        };
    }
}
