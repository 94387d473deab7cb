// The dashboard under load: a real `cicdops listen --dashboard` over a data directory with N registered projects.
// 1. Time to first paint of the fleet page (Chromium through Playwright, `first-contentful-paint` from the browser's
//    own Paint Timing), median of P loads, beside the baseline measured in the same run: the signed-out page (same
//    server, same stylesheet, no data). Also the server's time to the fleet page's HTML (HttpClient, median).
// 2. Resident memory of the listener with C open SSE connections on /api/stream/fleet authenticated by a dashboard
//    session cookie (what each open fleet page holds), beside its idle memory in the same run.
// Numbers are printed, never asserted.
using System.Diagnostics;
using System.Net.Sockets;
using CicdOps;
using CicdOps.Engine;
using CicdOps.Engine.Model;
using Microsoft.Playwright;

var projects = args.Length > 0 ? int.Parse(args[0]) : 200;
var clients = args.Length > 1 ? int.Parse(args[1]) : 500;
var paints = args.Length > 2 ? int.Parse(args[2]) : 7;
var root = Path.Combine(Path.GetTempPath(), "cicdops-dashbench-" + Guid.NewGuid().ToString("N")[..8]);
var data = Path.Combine(root, "data");
Directory.CreateDirectory(root);
var cli = Path.Combine(FindRepoRoot(), "src/CicdOps.Cli/bin/Release/net10.0/cicdops.dll");
if (!File.Exists(cli)) { Console.Error.WriteLine($"build the solution first (-c Release): {cli} is missing"); return 1; }

try
{
    // One bare repository; N projects registered in-process (registration runs git ls-remote once each).
    var origin = Path.Combine(root, "origin.git");
    var work = Path.Combine(root, "work");
    Git(root, "init", "-q", "--bare", "-b", "main", origin);
    Git(root, "init", "-q", "-b", "main", work);
    File.WriteAllText(Path.Combine(work, "README"), "bench\n");
    Git(work, "add", "README");
    Git(work, "-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-q", "-m", "one");
    Git(work, "push", "-q", origin, "main");
    var sw = Stopwatch.StartNew();
    using (var engine = CicdEngine.Open(new EngineOptions { DataPath = data }))
        for (var i = 0; i < projects; i++)
            engine.RegisterProject(new ProjectSpec { Name = $"app-{i:D3}", Repository = "file://" + origin, Path = Path.Combine(root, "trees", $"app-{i:D3}") });
    Console.WriteLine($"registered {projects} projects in {sw.Elapsed.TotalSeconds:F1} s");

    File.WriteAllText(Path.Combine(root, "secret"), "bench-secret\n");
    var port = FreePort();
    var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
    foreach (var x in new[] { cli, "--data-dir", data, "listen", "--port", port.ToString(), "--bind", "127.0.0.1", "--webhook-secret-file", Path.Combine(root, "secret"), "--dashboard" })
        psi.ArgumentList.Add(x);
    using var listener = Process.Start(psi)!;
    _ = listener.StandardOutput.ReadToEndAsync();
    _ = listener.StandardError.ReadToEndAsync();
    while (!CanConnect(port)) Thread.Sleep(50);
    var baseUrl = $"http://127.0.0.1:{port}";

    string Login(DashboardRole role)
    {
        using var engine = CicdEngine.Open(new EngineOptions { DataPath = data });
        return baseUrl + engine.CreateDashboardLogin(role).Path;
    }

    // ---- 1. First paint ----
    using var playwright = await Playwright.CreateAsync();
    await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = "/usr/bin/chromium", Headless = true, Args = ["--disable-gpu", "--disable-dev-shm-usage"] });
    var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 800 } });
    var page = await context.NewPageAsync();
    await page.GotoAsync(Login(DashboardRole.Viewer)); // signs in, lands on the fleet page once (warm-up)
    var anonymous = await (await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 800 } })).NewPageAsync();
    await anonymous.GotoAsync(baseUrl + "/");
    var fleet = new List<double>();
    var baseline = new List<double>();
    for (var i = 0; i < paints; i++)
    {
        fleet.Add(await FirstPaint(page, baseUrl + "/"));
        baseline.Add(await FirstPaint(anonymous, baseUrl + "/"));
    }
    var rows = await page.Locator("table.fleet tbody tr").CountAsync();
    var cookie = (await context.CookiesAsync()).Single();
    var cookieHeader = $"{cookie.Name}={cookie.Value}";
    var html = new List<double>();
    using (var http = new HttpClient())
        for (var i = 0; i < paints; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, baseUrl + "/");
            request.Headers.Add("Cookie", cookieHeader);
            var t = Stopwatch.StartNew();
            using var response = await http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            html.Add(t.Elapsed.TotalMilliseconds);
            if (i == 0) Console.WriteLine($"fleet page: {body.Length / 1024.0:F0} KiB of HTML for {rows} rows");
        }
    await browser.CloseAsync();
    Console.WriteLine($"first contentful paint, fleet page with {projects} projects: median {Median(fleet):F0} ms (all: {string.Join(", ", fleet.Select(v => v.ToString("F0")))})");
    Console.WriteLine($"first contentful paint, baseline (signed-out page, same run): median {Median(baseline):F0} ms");
    Console.WriteLine($"ratio fleet/baseline: {Median(fleet) / Median(baseline):F2}");
    Console.WriteLine($"server time to the fleet page's HTML: median {Median(html):F0} ms");

    // ---- 2. Memory of C open SSE connections (each with the session cookie, as an open fleet page) ----
    Thread.Sleep(1000);
    var idle = Rss(listener.Id);
    var handler = new SocketsHttpHandler { MaxConnectionsPerServer = clients + 10 };
    using var streams = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    var connected = 0;
    using var stop = new CancellationTokenSource();
    var readers = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, baseUrl + "/api/stream/fleet");
        request.Headers.Add("Cookie", cookieHeader);
        using var response = await streams.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop.Token);
        if ((int)response.StatusCode != 200) throw new Exception($"stream answered {(int)response.StatusCode}");
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(stop.Token));
        Interlocked.Increment(ref connected);
        try { while (await reader.ReadLineAsync(stop.Token) is not null) { } } catch (OperationCanceledException) { }
    })).ToList();
    var deadline = DateTime.UtcNow.AddMinutes(2);
    while (Volatile.Read(ref connected) < clients && DateTime.UtcNow < deadline)
    {
        if (readers.FirstOrDefault(r => r.IsFaulted) is { } failed) throw failed.Exception!;
        Thread.Sleep(50);
    }
    Thread.Sleep(2000);
    var open = Rss(listener.Id);
    Console.WriteLine($"listener RSS idle (after the paints): {idle / 1024.0:F0} MiB; with {connected} open SSE connections: {open / 1024.0:F0} MiB " +
        $"(+{(open - idle) / (double)Math.Max(connected, 1):F0} KiB per connection; ratio {open / (double)idle:F2})");
    stop.Cancel();
    try { await Task.WhenAll(readers); } catch { }
    listener.StandardInput.Close();
    listener.Kill();
    listener.WaitForExit();
    return 0;
}
finally
{
    try { Directory.Delete(root, true); } catch { }
}

static async Task<double> FirstPaint(IPage page, string url)
{
    await page.GotoAsync(url, new() { WaitUntil = WaitUntilState.Load });
    return await page.EvaluateAsync<double>("""
        () => new Promise(resolve => {
          const find = () => performance.getEntriesByName('first-contentful-paint')[0];
          if (find()) return resolve(find().startTime);
          new PerformanceObserver(() => { if (find()) resolve(find().startTime); }).observe({ type: 'paint', buffered: true });
        })
        """);
}

static double Median(List<double> v) { var s = v.Order().ToList(); return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2; }

static long Rss(int pid) =>
    long.Parse(File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);

static int FreePort() { var l = new TcpListener(System.Net.IPAddress.Loopback, 0); l.Start(); var p = ((System.Net.IPEndPoint)l.LocalEndpoint).Port; l.Stop(); return p; }

static bool CanConnect(int port) { try { using var c = new TcpClient(); c.Connect(System.Net.IPAddress.Loopback, port); return true; } catch (SocketException) { return false; } }

static void Git(string dir, params string[] a)
{
    var psi = new ProcessStartInfo("git") { WorkingDirectory = dir, RedirectStandardError = true };
    foreach (var x in a) psi.ArgumentList.Add(x);
    using var p = Process.Start(psi)!;
    p.WaitForExit();
    if (p.ExitCode != 0) throw new Exception("git " + string.Join(' ', a) + ": " + p.StandardError.ReadToEnd());
}

static string FindRepoRoot()
{
    for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        if (File.Exists(Path.Combine(d.FullName, "CicdOps.sln"))) return d.FullName;
    throw new Exception("run from inside the repository");
}
