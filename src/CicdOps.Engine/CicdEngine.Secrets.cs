using CicdOps.Engine.Secrets;

namespace CicdOps.Engine;

public sealed partial class CicdEngine
{
    /// <summary>Sets (or replaces) a project's secret; it reaches that project's install/run/health as an environment variable.</summary>
    public SecretInfo SetSecret(string project, string name, ReadOnlySpan<char> value)
    {
        var p = GetProject(project).Name;
        return _ctx.Secrets.Store.Set(p, name, value);
    }

    /// <summary>Sets (or replaces) a project's secret from UTF-8 bytes (the caller may zero them afterwards).</summary>
    public SecretInfo SetSecret(string project, string name, byte[] value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var p = GetProject(project).Name;
        return _ctx.Secrets.Store.Set(p, name, (ReadOnlySpan<byte>)value);
    }

    /// <summary>Names and update times of a project's secrets. Values can never be read back.</summary>
    public IReadOnlyList<SecretInfo> GetSecrets(string project)
    {
        var p = GetProject(project).Name;
        return _ctx.Secrets.Store.List(p);
    }

    /// <summary>Removes a project's secret; CicdSecretNotFound when it has none of that name.</summary>
    public void RemoveSecret(string project, string name)
    {
        var p = GetProject(project).Name;
        _ctx.Secrets.Store.Remove(p, name);
    }
}

public sealed partial class CicdEngine
{
    /// <summary>
    /// Sets the project's own webhook secret: deliveries for this project must be signed with it, whatever the
    /// listener's global secret is. Stored encrypted; never injected into the project's scripts.
    /// </summary>
    public void SetProjectWebhookSecret(string project, byte[] value)
    {
        ArgumentNullException.ThrowIfNull(value);
        _ctx.Secrets.Store.SetWebhookSecret(GetProject(project).Name, value);
    }

    /// <summary>Removes the project's webhook secret (the global one applies again); false when it had none.</summary>
    public bool RemoveProjectWebhookSecret(string project) => _ctx.Secrets.Store.RemoveWebhookSecret(GetProject(project).Name);

    /// <summary>Whether any project has its own webhook secret (nothing is decrypted).</summary>
    internal bool AnyProjectWebhookSecret() => SecretStore.AnyWebhookSecret(_ctx.Db);

    /// <summary>Every project's own webhook secret (empty without touching the master key when there is none).</summary>
    internal Dictionary<string, byte[]> LoadProjectWebhookSecrets() =>
        AnyProjectWebhookSecret() ? _ctx.Secrets.Store.AllWebhookSecrets() : new Dictionary<string, byte[]>();
}
