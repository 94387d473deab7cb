using CicdOps.Engine.State;

namespace CicdOps.Engine.Secrets;

/// <summary>
/// The engine's secret store, with the master key loaded on first use only: an installation that never
/// sets a secret never creates or reads a key, and projects without secrets never need it to deploy.
/// </summary>
internal sealed class EngineSecrets : IDisposable
{
    private readonly Database _db;
    private readonly Lazy<MasterKey> _key;

    public EngineSecrets(Database db, string dataPath)
    {
        _db = db;
        _key = new Lazy<MasterKey>(() => MasterKey.Load(dataPath), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public SecretStore Store => new(_db, _key.Value);

    /// <summary>The master key (loaded, or created, on first use).</summary>
    public MasterKey Key => _key.Value;

    /// <summary>The project's secrets decrypted (empty without touching the key when it has none).</summary>
    public Dictionary<string, string> Load(string project) =>
        HasAny(project) ? Store.GetAll(project) : new Dictionary<string, string>();

    /// <summary>The project's commit status token, or null without touching the key when it has none.</summary>
    public string? StatusToken(string project) => _db.Read(c =>
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT EXISTS (SELECT 1 FROM secrets WHERE project = $p AND name = $n)";
        cmd.Parameters.AddWithValue("$p", project);
        cmd.Parameters.AddWithValue("$n", SecretStore.StatusTokenName);
        return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 1;
    }) ? Store.GetStatusToken(project) : null;

    /// <summary>A masker for everything the project's processes print.</summary>
    public static SecretMasker MaskerFor(IReadOnlyDictionary<string, string> secrets) =>
        secrets.Count == 0 ? SecretMasker.Empty : SecretMasker.Create(secrets.Values);

    private bool HasAny(string project) => _db.Read(c =>
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT EXISTS (SELECT 1 FROM secrets WHERE project = $p)";
        cmd.Parameters.AddWithValue("$p", project);
        return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 1;
    });

    public void Dispose()
    {
        if (_key.IsValueCreated) _key.Value.Dispose();
    }
}
