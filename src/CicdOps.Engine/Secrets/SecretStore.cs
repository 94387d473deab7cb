using System.Security.Cryptography;
using System.Text;
using System.Text.Unicode;
using CicdOps.Engine.State;
using Microsoft.Data.Sqlite;

namespace CicdOps.Engine.Secrets;

/// <summary>
/// Write-only project secrets in the state database, encrypted with AES-256-GCM under the master key.
/// Front ends can set, list (names and times only) and remove; only the runner reads values, through
/// <see cref="GetAll"/>, to inject them into that project's install/run/health environment.
/// Secrets of an unregistered project go with it (ON DELETE CASCADE).
/// </summary>
internal sealed class SecretStore
{
    /// <summary>Environment strings are limited (Linux: 128 KiB each); 64 KiB leaves room and stops accidents.</summary>
    public const int MaxValueBytes = 64 * 1024;

    private readonly Database _db;
    private readonly MasterKey _key;
    private readonly TimeProvider _time;

    public SecretStore(Database db, MasterKey key, TimeProvider? time = null)
    {
        _db = db;
        _key = key;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Sets (or replaces) a secret from text; the UTF-8 copy is zeroed after encryption.</summary>
    public SecretInfo Set(string project, string name, ReadOnlySpan<char> value)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(value)];
        try
        {
            Encoding.UTF8.GetBytes(value, bytes);
            return Set(project, name, (ReadOnlySpan<byte>)bytes);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>
    /// The project's own webhook secret is stored like the others, under a name that is not a valid variable
    /// name: it is never injected into scripts, listed, or reachable through the secret commands.
    /// </summary>
    internal const string WebhookSecretName = "@webhook";

    /// <summary>The userinfo (user:token) of the project's repository URL, kept out of the projects table.</summary>
    internal const string RepositoryCredentialName = "@repository";

    internal void SetRepositoryCredential(string project, string userInfo) =>
        Store(project, RepositoryCredentialName, Encoding.UTF8.GetBytes(userInfo));

    internal void RemoveRepositoryCredential(string project) => Delete(project, RepositoryCredentialName);

    /// <summary>The stored userinfo of the project's repository URL, or null.</summary>
    internal string? GetRepositoryCredential(string project)
    {
        ValidateProject(project);
        var row = _db.Read<SealedSecret?>(c =>
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT nonce, ciphertext, tag FROM secrets WHERE project = $project AND name = $name";
            cmd.Parameters.AddWithValue("$project", project);
            cmd.Parameters.AddWithValue("$name", RepositoryCredentialName);
            using var r = cmd.ExecuteReader();
            return r.Read() ? new SealedSecret((byte[])r[0], (byte[])r[1], (byte[])r[2]) : null;
        });
        if (row is not { } sealedSecret) return null;
        var plain = SecretCipher.Open(_key, project, RepositoryCredentialName, sealedSecret);
        try { return Encoding.UTF8.GetString(plain); }
        finally { CryptographicOperations.ZeroMemory(plain); }
    }

    /// <summary>The token commit statuses are posted with (issue 15): never injected, listed or printed.</summary>
    internal const string StatusTokenName = "@status-token";

    internal void SetStatusToken(string project, ReadOnlySpan<byte> token)
    {
        if (token.IsEmpty) throw new CicdException(CicdError.InvalidArgument, $"The commit status token of project '{project}' is empty.", project);
        if (!Utf8.IsValid(token) || token.IndexOfAny((byte)'\n', (byte)'\r', (byte)0) >= 0)
            throw new CicdException(CicdError.InvalidArgument, "A commit status token is one line of UTF-8 text.", project);
        Store(project, StatusTokenName, token);
    }

    internal bool RemoveStatusToken(string project) => Delete(project, StatusTokenName) > 0;

    /// <summary>The project's status token, or null (statuses are off).</summary>
    internal string? GetStatusToken(string project)
    {
        ValidateProject(project);
        var row = _db.Read<SealedSecret?>(c =>
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT nonce, ciphertext, tag FROM secrets WHERE project = $project AND name = $name";
            cmd.Parameters.AddWithValue("$project", project);
            cmd.Parameters.AddWithValue("$name", StatusTokenName);
            using var r = cmd.ExecuteReader();
            return r.Read() ? new SealedSecret((byte[])r[0], (byte[])r[1], (byte[])r[2]) : null;
        });
        if (row is not { } sealedSecret) return null;
        var plain = SecretCipher.Open(_key, project, StatusTokenName, sealedSecret);
        try { return Encoding.UTF8.GetString(plain); }
        finally { CryptographicOperations.ZeroMemory(plain); }
    }

    /// <summary>Sets (or replaces) a secret from UTF-8 bytes (it becomes an environment variable: valid UTF-8, no NUL).</summary>
    public SecretInfo Set(string project, string name, ReadOnlySpan<byte> value)
    {
        SecretName.Validate(name);
        return Store(project, name, value);
    }

    internal SecretInfo SetWebhookSecret(string project, ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty) throw new CicdException(CicdError.InvalidArgument, $"The webhook secret of project '{project}' is empty.", project);
        return Store(project, WebhookSecretName, value);
    }

    /// <summary>The project's webhook secret, or null when it has none.</summary>
    internal byte[]? GetWebhookSecret(string project)
    {
        ValidateProject(project);
        var row = _db.Read<SealedSecret?>(c =>
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT nonce, ciphertext, tag FROM secrets WHERE project = $project AND name = $name";
            cmd.Parameters.AddWithValue("$project", project);
            cmd.Parameters.AddWithValue("$name", WebhookSecretName);
            using var r = cmd.ExecuteReader();
            return r.Read() ? new SealedSecret((byte[])r[0], (byte[])r[1], (byte[])r[2]) : null;
        });
        return row is { } sealedSecret ? SecretCipher.Open(_key, project, WebhookSecretName, sealedSecret) : null;
    }

    /// <summary>Every project's own webhook secret, decrypted, by project name (one read for the listener's cache).</summary>
    internal Dictionary<string, byte[]> AllWebhookSecrets()
    {
        var rows = _db.Read(c =>
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT project, nonce, ciphertext, tag FROM secrets WHERE name = $name";
            cmd.Parameters.AddWithValue("$name", WebhookSecretName);
            using var r = cmd.ExecuteReader();
            var list = new List<(string, SealedSecret)>();
            while (r.Read()) list.Add((r.GetString(0), new SealedSecret((byte[])r[1], (byte[])r[2], (byte[])r[3])));
            return list;
        });
        return rows.ToDictionary(x => x.Item1, x => SecretCipher.Open(_key, x.Item1, WebhookSecretName, x.Item2), StringComparer.Ordinal);
    }

    internal bool RemoveWebhookSecret(string project) => Delete(project, WebhookSecretName) > 0;

    /// <summary>Projects that have their own webhook secret (no key needed: nothing is decrypted).</summary>
    internal static bool AnyWebhookSecret(Database db) => db.Read(c =>
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT 1 FROM secrets WHERE name = $name LIMIT 1";
        cmd.Parameters.AddWithValue("$name", WebhookSecretName);
        return cmd.ExecuteScalar() is not null;
    });

    private SecretInfo Store(string project, string name, ReadOnlySpan<byte> value)
    {
        ValidateProject(project);
        if (value.Length > MaxValueBytes)
            throw new CicdException(CicdError.InvalidArgument, $"Secret '{name}' of project '{project}' is longer than {MaxValueBytes} bytes.", name);
        if (!Utf8.IsValid(value) || value.IndexOf((byte)0) >= 0)
            throw new CicdException(CicdError.InvalidArgument,
                $"Secret '{name}' of project '{project}' must be UTF-8 text without NUL characters (it is passed as an environment variable).", name);

        var sealedSecret = SecretCipher.Seal(_key, project, name, value);
        var now = _time.GetUtcNow();
        try
        {
            _db.Write(c =>
            {
                using var cmd = c.CreateCommand();
                cmd.CommandText = """
                    INSERT INTO secrets (project, name, nonce, ciphertext, tag, updated_at)
                    VALUES ($project, $name, $nonce, $ciphertext, $tag, $now)
                    ON CONFLICT (project, name) DO UPDATE SET
                        nonce = excluded.nonce, ciphertext = excluded.ciphertext, tag = excluded.tag, updated_at = excluded.updated_at
                    """;
                cmd.Parameters.AddWithValue("$project", project);
                cmd.Parameters.AddWithValue("$name", name);
                cmd.Parameters.AddWithValue("$nonce", sealedSecret.Nonce);
                cmd.Parameters.AddWithValue("$ciphertext", sealedSecret.Ciphertext);
                cmd.Parameters.AddWithValue("$tag", sealedSecret.Tag);
                cmd.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
                cmd.ExecuteNonQuery();
            });
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19 && e.SqliteExtendedErrorCode == 787)
        {
            throw new CicdException(CicdError.ProjectNotFound, $"Project '{project}' is not registered.", project, inner: e);
        }
        return new SecretInfo(project, name, DateTimeOffset.FromUnixTimeMilliseconds(now.ToUnixTimeMilliseconds()));
    }

    /// <summary>Names and update times of the project's secrets, sorted by name. Never values.</summary>
    public IReadOnlyList<SecretInfo> List(string project)
    {
        ValidateProject(project);
        return _db.Read(c =>
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT name, updated_at FROM secrets WHERE project = $project AND name <> $webhook AND name NOT LIKE '@%' ORDER BY name";
            cmd.Parameters.AddWithValue("$webhook", WebhookSecretName);
            cmd.Parameters.AddWithValue("$project", project);
            using var r = cmd.ExecuteReader();
            var list = new List<SecretInfo>();
            while (r.Read())
                list.Add(new SecretInfo(project, r.GetString(0), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1))));
            return list;
        });
    }

    /// <summary>Removes one secret; <see cref="CicdError.SecretNotFound"/> when it does not exist.</summary>
    public void Remove(string project, string name)
    {
        ValidateProject(project);
        SecretName.Validate(name);
        if (Delete(project, name) == 0)
            throw new CicdException(CicdError.SecretNotFound, $"Project '{project}' has no secret named '{name}'.", name);
    }

    private int Delete(string project, string name) => _db.Write(c =>
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "DELETE FROM secrets WHERE project = $project AND name = $name";
        cmd.Parameters.AddWithValue("$project", project);
        cmd.Parameters.AddWithValue("$name", name);
        return cmd.ExecuteNonQuery();
    });

    /// <summary>
    /// Every secret of <paramref name="project"/>, decrypted: only for the environment of that project's
    /// install/run/health and for its log masker. Throws <see cref="CicdError.SecretDecryptionFailed"/>
    /// (naming project and secret) when one does not decrypt.
    /// </summary>
    internal Dictionary<string, string> GetAll(string project)
    {
        ValidateProject(project);
        var rows = _db.Read(c =>
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT name, nonce, ciphertext, tag FROM secrets WHERE project = $project AND name <> $webhook AND name NOT LIKE '@%' ORDER BY name";
            cmd.Parameters.AddWithValue("$webhook", WebhookSecretName);
            cmd.Parameters.AddWithValue("$project", project);
            using var r = cmd.ExecuteReader();
            var list = new List<(string Name, SealedSecret Value)>();
            while (r.Read())
                list.Add((r.GetString(0), new SealedSecret((byte[])r[1], (byte[])r[2], (byte[])r[3])));
            return list;
        });
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in rows)
        {
            var plain = SecretCipher.Open(_key, project, name, value);
            try { result[name] = Encoding.UTF8.GetString(plain); }
            finally { CryptographicOperations.ZeroMemory(plain); }
        }
        return result;
    }

    // The associated data separates fields with NUL, so a project name must never contain one.
    private static void ValidateProject(string project)
    {
        if (string.IsNullOrEmpty(project) || project.Length > 255 || project.Any(char.IsControl))
            throw new CicdException(CicdError.InvalidProjectName, "The project name is empty, too long or contains control characters.", project);
    }
}
