using System.Net;
using System.Text;

namespace CicdOps.Tests.Support;

/// <summary>
/// Serves a bare repository over git's "dumb" HTTP protocol (static files after `git update-server-info`),
/// behind HTTP Basic authentication: a real remote that needs the credentials in its URL.
/// </summary>
public sealed class DumbHttpGitServer : IDisposable
{
    private readonly HttpListener _http = new();
    private readonly string _bare;
    private readonly string _expected;
    private readonly string _password;
    private readonly CancellationTokenSource _stop = new();

    public DumbHttpGitServer(TestRepository repo, string user, string password)
    {
        _bare = repo.BarePath;
        _password = password;
        _expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password));
        Port = FreePort.Next();
        _http.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _http.Start();
        _ = Task.Run(ServeAsync);
    }

    public int Port { get; }

    /// <summary>Requests served (authenticated or not).</summary>
    public int Requests;

    /// <summary>Command lines (any process but the CLI itself, as `ps` shows them) seen holding the password while git talked to us.</summary>
    public List<string> CommandLinesWithThePassword { get; } = new();

    /// <summary>The repository URL with the credentials in it.</summary>
    public string UrlWith(string user, string password) => $"http://{user}:{password}@127.0.0.1:{Port}/origin.git";

    /// <summary>Run after every push: the dumb protocol reads info/refs and objects/info/packs.</summary>
    public void UpdateServerInfo() => Run.Command("git", _bare, "update-server-info");

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext ctx;
            try { ctx = await _http.GetContextAsync(); }
            catch (Exception) { return; }
            try { Serve(ctx); }
            catch (Exception) { /* the client went away */ }
            finally { ctx.Response.Close(); }
        }
    }

    private void Serve(HttpListenerContext ctx)
    {
        Interlocked.Increment(ref Requests);
        // The git process fetching from us is alive now: would `ps` show the password?
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                // The user's own `cicdops project add --repo URL` holds it by necessity; what the engine starts must not.
                if (cmdline.StartsWith("dotnet ", StringComparison.Ordinal)) continue;
                if (cmdline.Contains(_password, StringComparison.Ordinal)) lock (CommandLinesWithThePassword) CommandLinesWithThePassword.Add(cmdline);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* gone meanwhile */ }
        }
        if (ctx.Request.Headers["Authorization"] != _expected)
        {
            ctx.Response.StatusCode = 401;
            ctx.Response.AddHeader("WWW-Authenticate", "Basic realm=\"git\"");
            return;
        }
        var path = Uri.UnescapeDataString(ctx.Request.Url!.AbsolutePath);
        const string prefix = "/origin.git/";
        var file = path.StartsWith(prefix, StringComparison.Ordinal) ? Path.GetFullPath(Path.Combine(_bare, path[prefix.Length..])) : "";
        if (!file.StartsWith(_bare + "/", StringComparison.Ordinal) || !File.Exists(file))
        {
            ctx.Response.StatusCode = 404;
            return;
        }
        var bytes = File.ReadAllBytes(file);
        ctx.Response.ContentType = "application/octet-stream";
        ctx.Response.ContentLength64 = bytes.Length;
        ctx.Response.OutputStream.Write(bytes);
    }

    public void Dispose()
    {
        _stop.Cancel();
        // The managed HttpListener looks its endpoint up again while closing and can throw EADDRINUSE when another
        // test's socket took the port meanwhile; this server stops serving either way.
        try { _http.Close(); } catch (System.Net.HttpListenerException) { }
    }
}
