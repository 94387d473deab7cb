namespace CicdOps.Engine.Listener;

/// <summary>
/// Projects' own webhook secrets for the listener, decrypted together and re-read at most once per
/// <see cref="RefreshInterval"/>: every delivery asks for the secret of each project it matches, and a database
/// read plus a decryption per project per delivery would cost more than the rest of the delivery.
/// </summary>
internal sealed class ProjectWebhookSecrets(Func<Dictionary<string, byte[]>> load)
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(1);
    private readonly TimedSnapshot<Dictionary<string, byte[]>> _secrets = new(load, RefreshInterval);

    /// <summary>The project's own secret, or null when it has none (the global secret applies).</summary>
    public byte[]? Get(string project) => _secrets.Get().GetValueOrDefault(project);
}
