using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

/// <summary>A throwaway PostgreSQL cluster (initdb as the postgres account, a free loopback port, deleted at the end).</summary>
sealed class PrivatePostgres : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cicdops-bench-pg-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly Process _server;
    public int Port { get; }
    public string Password { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(12)).ToLowerInvariant();
    public string Uri => $"postgres://bench:{Password}@127.0.0.1:{Port}/postgres";

    public PrivatePostgres()
    {
        var bin = Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb")))
            .OrderByDescending(d => d, StringComparer.Ordinal).First();
        Directory.CreateDirectory(Path.Combine(_dir, "sock"));
        File.WriteAllText(Path.Combine(_dir, "pw"), Password + "\n");
        Run("chown", "-R", "postgres:postgres", _dir);
        AsPostgres(Path.Combine(bin, "initdb"), "-D", Path.Combine(_dir, "data"), "-U", "bench", "--pwfile", Path.Combine(_dir, "pw"),
            "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions");
        using (var l = new TcpListener(IPAddress.Loopback, 0)) { l.Start(); Port = ((IPEndPoint)l.LocalEndpoint).Port; }
        var psi = new ProcessStartInfo("setpriv") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--reuid=postgres", "--regid=postgres", "--init-groups", "--", Path.Combine(bin, "postgres"), "-D", Path.Combine(_dir, "data"),
                     "-p", Port.ToString(), "-k", Path.Combine(_dir, "sock"), "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=300" })
            psi.ArgumentList.Add(a);
        _server = Process.Start(psi)!;
        _server.OutputDataReceived += (_, _) => { };
        _server.ErrorDataReceived += (_, _) => { };
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();
        for (var i = 0; i < 600; i++)
        {
            try { using var c = new TcpClient("127.0.0.1", Port); Thread.Sleep(300); return; }
            catch (SocketException) { Thread.Sleep(100); }
        }
        throw new InvalidOperationException("postgres did not start");
    }

    public void Dispose()
    {
        try { _server.Kill(); _server.WaitForExit(); } catch (InvalidOperationException) { }
        Directory.Delete(_dir, true);
    }

    private void AsPostgres(string program, params string[] args) =>
        Run("setpriv", new[] { "--reuid=postgres", "--regid=postgres", "--init-groups", "--", program }.Concat(args).ToArray());

    private void Run(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { UseShellExecute = false, WorkingDirectory = _dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{program} exited {p.ExitCode}: {err.Result}");
    }
}
