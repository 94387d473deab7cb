namespace CicdOps.Server.Dashboard;

/// <summary>
/// Login attempts per client address: at most <see cref="Attempts"/> in any <see cref="Window"/> (a sliding window of
/// timestamps). Bounded: at most <see cref="MaxClients"/> addresses are tracked, the stalest forgotten first.
/// </summary>
public sealed class LoginRateLimiter(int attempts = 10, TimeSpan? window = null)
{
    public const int MaxClients = 10_000;
    private readonly Dictionary<string, Queue<DateTime>> _seen = new(StringComparer.Ordinal);

    public int Attempts { get; } = attempts;
    public TimeSpan Window { get; } = window ?? TimeSpan.FromMinutes(1);

    /// <summary>Counts an attempt; false (and not counted) when the client is over its budget.</summary>
    public bool TryAttempt(string client, out TimeSpan retryAfter)
    {
        var now = DateTime.UtcNow;
        lock (_seen)
        {
            if (!_seen.TryGetValue(client, out var q))
            {
                if (_seen.Count >= MaxClients) Forget(now);
                _seen[client] = q = new Queue<DateTime>();
            }
            while (q.Count > 0 && now - q.Peek() >= Window) q.Dequeue();
            if (q.Count >= Attempts)
            {
                retryAfter = Window - (now - q.Peek());
                return false;
            }
            q.Enqueue(now);
            retryAfter = TimeSpan.Zero;
            return true;
        }
    }

    private void Forget(DateTime now)
    {
        foreach (var k in _seen.Where(kv => kv.Value.Count == 0 || now - kv.Value.Last() >= Window).Select(kv => kv.Key).ToList()) _seen.Remove(k);
        if (_seen.Count >= MaxClients) _seen.Remove(_seen.MinBy(kv => kv.Value.Last()).Key);
    }
}
