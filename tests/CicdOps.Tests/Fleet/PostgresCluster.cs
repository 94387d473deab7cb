using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using CicdOps.Engine.Processes;
using CicdOps.Tests.Support;
using Npgsql;

namespace CicdOps.Tests.Fleet;

/// <summary>
/// A private PostgreSQL cluster for the fleet tests: initdb into a temporary directory as the non-root `postgres`
/// account (setpriv, argument lists only), a server on a free loopback port with its Unix socket in that
/// directory, password (SCRAM) authentication over TCP, and everything stopped and deleted at the end.
/// A machine without PostgreSQL fails these tests: it never skips them.
/// </summary>
public sealed class PostgresCluster : IDisposable
{
    public const string AdminUser = "cicdops_test";
    private readonly TempDirectory _dir = new("cicdops-pg");
    private readonly string _bin;
    private readonly StringBuilder _log = new();
    private Process? _server;

    public PostgresCluster()
    {
        _bin = FindBinaries();
        Password = Convert.ToHexString(RandomNumberGenerator.GetBytes(12)).ToLowerInvariant();
        Port = FreePort.Next();
        SocketDirectory = _dir.Combine("sock");
        Directory.CreateDirectory(SocketDirectory);
        var pwFile = _dir.Combine("pw");
        File.WriteAllText(pwFile, Password + "\n");
        Run.Command("chown", null, "-R", "postgres:postgres", _dir.Path);
        File.SetUnixFileMode(_dir.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        AsPostgres("initdb", "-D", DataDirectory, "-U", AdminUser, "--pwfile", pwFile, "--auth-host=scram-sha-256",
            "--auth-local=trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions");
        File.Delete(pwFile);
        Start();
    }

    public int Port { get; }
    public string Password { get; }
    public string SocketDirectory { get; }
    public string DataDirectory => _dir.Combine("data");
    public bool Running => _server is { HasExited: false };

    /// <summary>A libpq URI for <paramref name="database"/>, with the password in it (as an operator would give it to `fleet join`).</summary>
    public string Uri(string database) => $"postgres://{AdminUser}:{Password}@127.0.0.1:{Port}/{database}";

    /// <summary>A fresh empty database, so each test has a registry of its own.</summary>
    public string CreateDatabase()
    {
        var name = "t_" + Guid.NewGuid().ToString("N")[..16];
        using var c = new NpgsqlConnection(AdminConnectionString("postgres"));
        c.Open();
        using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", c);
        cmd.ExecuteNonQuery();
        return name;
    }

    public string AdminConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username={AdminUser};Password={Password};Database={database};Pooling=false";

    public void Start()
    {
        if (Running) return;
        var psi = new ProcessStartInfo("setpriv") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = _dir.Path };
        foreach (var a in new[] { "--reuid=postgres", "--regid=postgres", "--init-groups", "--", Path.Combine(_bin, "postgres"),
                     "-D", DataDirectory, "-p", Port.ToString(), "-k", SocketDirectory, "-c", "listen_addresses=127.0.0.1",
                     "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=200" })
            psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _server = p;
        var until = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (p.HasExited) throw new InvalidOperationException($"postgres exited ({p.ExitCode}):\n{Log}");
            try
            {
                using var c = new NpgsqlConnection(AdminConnectionString("postgres"));
                c.Open();
                return;
            }
            catch (NpgsqlException) when (DateTime.UtcNow < until) { Thread.Sleep(100); }
        }
    }

    /// <summary>Fast shutdown (SIGINT): clients are disconnected, as in a real outage.</summary>
    public void Stop()
    {
        if (_server is not { } p) return;
        if (!p.HasExited) Posix.Kill(p.Id, 2);
        if (!p.WaitForExit(30_000)) { p.Kill(); p.WaitForExit(); }
        p.Dispose();
        _server = null;
        NpgsqlConnection.ClearAllPools();
    }

    public string Log { get { lock (_log) return _log.ToString(); } }

    public void Dispose()
    {
        Stop();
        _dir.Dispose();
    }

    private void AsPostgres(string program, params string[] args) =>
        Run.Command("setpriv", _dir.Path, new[] { "--reuid=postgres", "--regid=postgres", "--init-groups", "--", Path.Combine(_bin, program) }.Concat(args).ToArray());

    /// <summary>The server binaries: $CICDOPS_TEST_PG_BIN, else the newest /usr/lib/postgresql/N/bin.</summary>
    private static string FindBinaries()
    {
        if (Environment.GetEnvironmentVariable("CICDOPS_TEST_PG_BIN") is { Length: > 0 } bin) return bin;
        var found = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderByDescending(d => d, StringComparer.Ordinal).FirstOrDefault()
            : null;
        return found ?? throw new InvalidOperationException(
            "PostgreSQL server binaries not found (no /usr/lib/postgresql/*/bin/initdb): install the postgresql package; the fleet registry tests need a real server.");
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresCluster>
{
    public const string Name = "PostgreSQL registry";
}
