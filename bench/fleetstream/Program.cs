// The fleet stream under load: a real `cicdops listen` (no registry: it serves this server) with N SSE clients on
// /api/stream/fleet. Measures the listener's resident memory idle, with N clients connected, and after C changes
// delivered to all of them; and for each change, the time from the `cicdops project add` that made it returning to
// its event reaching the first and the last of the N clients. Numbers are printed, never asserted.
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Sockets;

var clients = args.Length > 0 ? int.Parse(args[0]) : 500;
var changes = args.Length > 1 ? int.Parse(args[1]) : 20;
var root = Path.Combine(Path.GetTempPath(), "cicdops-fleetstream-" + Guid.NewGuid().ToString("N")[..8]);
var data = Path.Combine(root, "data");
Directory.CreateDirectory(root);
var repoRoot = FindRepoRoot();
var cli = Path.Combine(repoRoot, "src/CicdOps.Cli/bin/Release/net10.0/cicdops.dll");
if (!File.Exists(cli)) { Console.Error.WriteLine($"build the solution first (-c Release): {cli} is missing"); return 1; }

string Run(params string[] a)
{
    var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
    foreach (var x in new[] { cli, "--data-dir", data }.Concat(a)) psi.ArgumentList.Add(x);
    using var p = Process.Start(psi)!;
    var output = p.StandardOutput.ReadToEnd();
    var error = p.StandardError.ReadToEnd();
    p.WaitForExit();
    if (p.ExitCode != 0) throw new Exception($"cicdops {string.Join(' ', a)}: {error}");
    return output;
}

// A bare repository with one commit, so projects can be registered (registration checks the branch exists).
var origin = Path.Combine(root, "origin.git");
var work = Path.Combine(root, "work");
Git(root, "init", "-q", "--bare", "-b", "main", origin);
Git(root, "init", "-q", "-b", "main", work);
File.WriteAllText(Path.Combine(work, "README"), "bench\n");
Git(work, "add", "README");
Git(work, "-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-q", "-m", "one");
Git(work, "push", "-q", origin, "main");

var token = Run("token", "create", "--scope", "read", "--name", "bench").Trim();
File.WriteAllText(Path.Combine(root, "secret"), "bench-secret\n");
var port = FreePort();
var listenPsi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
foreach (var x in new[] { cli, "--data-dir", data, "listen", "--port", port.ToString(), "--bind", "127.0.0.1", "--webhook-secret-file", Path.Combine(root, "secret") })
    listenPsi.ArgumentList.Add(x);
using var listener = Process.Start(listenPsi)!;
_ = listener.StandardOutput.ReadToEndAsync();
while (!CanConnect(port)) Thread.Sleep(50);
Thread.Sleep(1000);
var idle = Rss(listener.Id);

var arrivals = new System.Collections.Concurrent.ConcurrentDictionary<string, System.Collections.Concurrent.ConcurrentBag<long>>();
var handler = new SocketsHttpHandler { MaxConnectionsPerServer = clients + 10 };
using var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
var connected = 0;
using var stop = new CancellationTokenSource();
var readers = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
{
    using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/api/stream/fleet");
    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
    using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop.Token);
    using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(stop.Token));
    Interlocked.Increment(ref connected);
    try
    {
        while (await reader.ReadLineAsync(stop.Token) is { } line)
        {
            // The ProjectAdded event names the project: "… bench-N added …".
            if (!line.StartsWith("data:") || !line.Contains("\"ProjectAdded\"")) continue;
            var at = Stopwatch.GetTimestamp();
            var start = line.IndexOf("\"project\":\"", StringComparison.Ordinal) + 11;
            var name = line[start..line.IndexOf('"', start)];
            arrivals.GetOrAdd(name, _ => new()).Add(at);
        }
    }
    catch (OperationCanceledException) { }
})).ToList();
while (Volatile.Read(ref connected) < clients) Thread.Sleep(50);
Thread.Sleep(1000);
var withClients = Rss(listener.Id);

var first = new List<double>();
var last = new List<double>();
for (var i = 0; i < changes; i++)
{
    var name = $"bench-{i}";
    Run("project", "add", name, "--repo", origin, "--path", Path.Combine(root, "trees", name));
    var done = Stopwatch.GetTimestamp();
    var until = DateTime.UtcNow.AddSeconds(30);
    while ((!arrivals.TryGetValue(name, out var bag) || bag.Count < clients) && DateTime.UtcNow < until) Thread.Sleep(5);
    if (arrivals.TryGetValue(name, out var got) && got.Count == clients)
    {
        first.Add(Stopwatch.GetElapsedTime(done, got.Min()).TotalMilliseconds);
        last.Add(Stopwatch.GetElapsedTime(done, got.Max()).TotalMilliseconds);
    }
    else Console.WriteLine($"{name}: reached {got?.Count ?? 0} of {clients} clients within 30 s");
}
var afterChanges = Rss(listener.Id);

Console.WriteLine($"clients={clients} changes={changes} (no registry: the listener reads its own state every 500 ms)");
Console.WriteLine($"listener RSS: idle {idle / 1024} MiB, with {clients} SSE clients {withClients / 1024} MiB, after {changes} changes {afterChanges / 1024} MiB " +
                  $"({(withClients - idle) / (double)clients:0.0} KiB per client)");
Console.WriteLine($"change → first client: p50 {Pct(first, 50):0} ms, p99 {Pct(first, 99):0} ms; → all {clients} clients: p50 {Pct(last, 50):0} ms, p99 {Pct(last, 99):0} ms");

stop.Cancel();
listener.StandardInput.Close();
listener.Kill();
listener.WaitForExit();
try { await Task.WhenAll(readers); } catch { }
Directory.Delete(root, recursive: true);
return 0;

static double Pct(List<double> xs, int p) => xs.Count == 0 ? double.NaN : xs.Order().ElementAt(Math.Min(xs.Count - 1, (int)Math.Ceiling(p / 100.0 * xs.Count) - 1));

static long Rss(int pid) =>
    long.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);

static int FreePort()
{
    var l = new TcpListener(System.Net.IPAddress.Loopback, 0);
    l.Start();
    var p = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    l.Stop();
    return p;
}

static bool CanConnect(int port)
{
    try { using var c = new TcpClient(); c.Connect("127.0.0.1", port); return true; }
    catch (SocketException) { return false; }
}

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
    var d = new DirectoryInfo(AppContext.BaseDirectory);
    while (d is not null && !File.Exists(Path.Combine(d.FullName, "CicdOps.sln"))) d = d.Parent;
    return d?.FullName ?? throw new Exception("run from inside the repository");
}
