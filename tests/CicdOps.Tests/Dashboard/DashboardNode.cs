using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using CicdOps.Tests.Cli;
using CicdOps.Tests.Support;

namespace CicdOps.Tests.Dashboard;

/// <summary>
/// A real `cicdops listen` on loopback (a free port) over a <see cref="CliHarness"/> data directory, with or without the
/// dashboard, and an HTTP client for the API (bearer tokens or a dashboard session cookie). Disposing kills the listener
/// and removes the harness (its projects and apps).
/// </summary>
public sealed class DashboardNode : IDisposable
{
    private readonly StringBuilder _output = new();

    public DashboardNode() { Cli = new CliHarness(); }

    public CliHarness Cli { get; }
    public int Port { get; private set; }
    public Process? Listener { get; private set; }
    public string BaseUrl => $"http://127.0.0.1:{Port}";
    public string Url(string path) => BaseUrl + path;
    public string Output { get { lock (_output) return _output.ToString(); } }

    public void Start(bool dashboard = true, params string[] extra)
    {
        var secretFile = Path.Combine(Cli.Root, "webhook.secret");
        File.WriteAllText(secretFile, "dashboard-test-secret\n");
        Port = FreePort.Next();
        var args = new List<string> { "listen", "--port", Port.ToString(), "--bind", "127.0.0.1", "--webhook-secret-file", secretFile, "--sample-interval", "1" };
        if (dashboard) args.Add("--dashboard");
        args.AddRange(extra);
        Listener = Cli.Start(args.ToArray());
        Listener.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        Listener.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        Listener.BeginOutputReadLine();
        Listener.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!CicdOps.Tests.Engine.AppProcessTests.CanConnect(Port))
        {
            if (Listener.HasExited) Assert.Fail("listen exited: " + Output);
            if (DateTime.UtcNow > deadline) Assert.Fail("listen did not start: " + Output);
            Thread.Sleep(50);
        }
    }

    public string CreateToken(string scope, string name) =>
        Cli.Run("token", "create", "--scope", scope, "--name", name).ShouldExit(0).StdOut.Trim();

    /// <summary>A one-time sign-in link from `cicdops dashboard login`.</summary>
    public string LoginUrl(string role = "operator", string validFor = "15m") =>
        Cli.Run("dashboard", "login", "--role", role, "--base-url", BaseUrl, "--valid-for", validFor).ShouldExit(0).StdOut.Trim();

    public static HttpClient Client() => new(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { Timeout = TimeSpan.FromSeconds(60) };

    public async Task<Reply> SendAsync(HttpMethod method, string path, string? token = null, string? cookie = null, string? json = null,
        IDictionary<string, string>? headers = null)
    {
        using var http = Client();
        using var request = new HttpRequestMessage(method, Url(path));
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (cookie is not null) request.Headers.Add("Cookie", cookie);
        foreach (var (k, v) in headers ?? new Dictionary<string, string>()) request.Headers.TryAddWithoutValidation(k, v);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await http.SendAsync(request);
        return new Reply((int)response.StatusCode, await response.Content.ReadAsStringAsync(),
            response.Headers.TryGetValues("Set-Cookie", out var c) ? c.ToList() : new List<string>(), response.Headers.Location?.ToString());
    }

    public Task<Reply> GetAsync(string path, string? token = null, string? cookie = null) => SendAsync(HttpMethod.Get, path, token, cookie);

    public Task<Reply> PostAsync(string path, string? token = null, string? json = null, string? cookie = null, IDictionary<string, string>? headers = null) =>
        SendAsync(HttpMethod.Post, path, token, cookie, json ?? "{}", headers);

    /// <summary>Opens a login link with plain HTTP: the session cookie ("name=value") and the Set-Cookie line.</summary>
    public async Task<(string Cookie, string SetCookie)> SignInAsync(string role = "operator")
    {
        var r = await GetAsync(new Uri(LoginUrl(role)).AbsolutePath);
        Assert.Equal(303, r.Status);
        var set = Assert.Single(r.SetCookies);
        return (set.Split(';')[0], set);
    }

    public void Dispose()
    {
        if (Listener is { HasExited: false } p) { p.Kill(); p.WaitForExit(); }
        Listener?.Dispose();
        Cli.Dispose();
    }

    public sealed record Reply(int Status, string Body, List<string> SetCookies, string? Location);
}
