using System.Text;

namespace CicdOps.Engine.Notifications;

/// <summary>The kebab-case names users write in channel filters and receivers see in the webhook body (deployment-failed).</summary>
public static class NotificationEventNames
{
    public static string ToName(this NotificationEventKind kind)
    {
        var s = kind.ToString();
        var b = new StringBuilder(s.Length + 4);
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsUpper(s[i]) && i > 0) b.Append('-');
            b.Append(char.ToLowerInvariant(s[i]));
        }
        return b.ToString();
    }

    /// <summary>Every kind a channel can subscribe to (Test is not one).</summary>
    public static IReadOnlyList<NotificationEventKind> Subscribable { get; } =
        Enum.GetValues<NotificationEventKind>().Where(k => k != NotificationEventKind.Test).ToArray();

    /// <summary>Parses a kebab-case name (or the enum name); throws a one-line error listing the valid names.</summary>
    public static NotificationEventKind Parse(string name)
    {
        var n = name.Trim();
        foreach (var k in Subscribable)
            if (string.Equals(k.ToName(), n, StringComparison.OrdinalIgnoreCase) || string.Equals(k.ToString(), n, StringComparison.OrdinalIgnoreCase))
                return k;
        throw new CicdException(CicdError.InvalidArgument,
            $"Unknown notification event '{name}'; use one of: {string.Join(", ", Subscribable.Select(k => k.ToName()))}.", name);
    }
}
