namespace CicdOps.Engine.Listener;

/// <summary>
/// A value re-read at most once per interval: what every delivery needs (projects, their webhook secrets) but
/// what changes rarely. A change reaches the listener within the interval.
/// </summary>
internal sealed class TimedSnapshot<T>(Func<T> load, TimeSpan interval) where T : class
{
    private Snapshot? _current;

    public T Get()
    {
        var s = Volatile.Read(ref _current);
        var now = Environment.TickCount64;
        if (s is null || now - s.ReadAt >= (long)interval.TotalMilliseconds)
            Volatile.Write(ref _current, s = new Snapshot(load(), now));
        return s.Value;
    }

    private sealed record Snapshot(T Value, long ReadAt);
}
