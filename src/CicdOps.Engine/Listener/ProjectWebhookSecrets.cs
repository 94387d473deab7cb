namespace CicdOps.Engine.Listener;

/// <summary>
/// Projects' own webhook secrets for the listener, decrypted together and re-read at most once per
/// <see cref="RefreshInterval"/>: every delivery asks for the secret of each project it matches, and a database
/// read plus a decryption per project per delivery would cost more than the rest of the delivery.
/// </summary>
internal sealed class ProjectWebhookSecrets(Func<Dictionary<string, byte[]>> load)
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(1);
    private Snapshot? _snapshot;

    /// <summary>The project's own secret, or null when it has none (the global secret applies).</summary>
    public byte[]? Get(string project)
    {
        var s = Volatile.Read(ref _snapshot);
        var now = Environment.TickCount64;
        if (s is null || now - s.ReadAt >= (long)RefreshInterval.TotalMilliseconds)
            Volatile.Write(ref _snapshot, s = new Snapshot(load(), now));
        return s.Secrets.GetValueOrDefault(project);
    }

    private sealed record Snapshot(Dictionary<string, byte[]> Secrets, long ReadAt);
}
