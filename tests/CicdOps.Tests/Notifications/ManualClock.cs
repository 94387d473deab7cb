namespace CicdOps.Tests.Notifications;

/// <summary>A clock the test moves: the sender's "now", so a minimum interval of an hour can pass without waiting an hour.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;
    public override DateTimeOffset GetUtcNow() => Now;
}
