using System.Net;
using System.Text;

namespace CicdOps.Tests.Notifications;

/// <summary>One request as the receiver saw it.</summary>
public sealed record ReceivedRequest(string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string Text => Encoding.UTF8.GetString(Body);
    public string? Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var v) ? v : null;
}

/// <summary>
/// A real HTTP server on loopback (HttpListener on a free port) that records every request and answers as told:
/// 200, a 5xx (with a body), or no answer at all until the client gives up — for the chat formats, the generic
/// webhook's HMAC, and retries with backoff.
/// </summary>
public sealed class HttpReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly List<ReceivedRequest> _requests = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public HttpReceiver()
    {
        Port = Support.FreePort.Next();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }
    public string Url(string path = "/hook/T0KEN-abcdef123456") => $"http://127.0.0.1:{Port}{path}";

    /// <summary>Answers for the next requests, in order (then 200). A status of 0 means: never answer.</summary>
    public Queue<(int Status, string Body)> Script { get; } = new();

    public IReadOnlyList<ReceivedRequest> Requests { get { lock (_requests) return _requests.ToList(); } }

    /// <summary>Waits until at least <paramref name="count"/> requests arrived (or fails after 30 s).</summary>
    public IReadOnlyList<ReceivedRequest> WaitFor(int count, Func<IReadOnlyList<ReceivedRequest>, bool>? also = null)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var r = Requests;
            if (r.Count >= count && (also is null || also(r))) return r;
            if (DateTime.UtcNow > until) Assert.Fail($"the receiver got {r.Count} request(s), expected {count}:\n" + string.Join("\n", r.Select(x => x.Text)));
            Thread.Sleep(50);
        }
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception) { return; }
            _ = Task.Run(() => Answer(ctx));
        }
    }

    private async Task Answer(HttpListenerContext ctx)
    {
        using var body = new MemoryStream();
        await ctx.Request.InputStream.CopyToAsync(body);
        var headers = ctx.Request.Headers.AllKeys.Where(k => k is not null).ToDictionary(k => k!.ToLowerInvariant(), k => ctx.Request.Headers[k]!);
        (int Status, string Body) answer;
        lock (_requests)
        {
            _requests.Add(new ReceivedRequest(ctx.Request.Url!.AbsolutePath, headers, body.ToArray()));
            answer = Script.Count > 0 ? Script.Dequeue() : (200, "ok");
        }
        try
        {
            if (answer.Status == 0)
            {
                try { await Task.Delay(TimeSpan.FromSeconds(60), _stop.Token); } catch (OperationCanceledException) { }
                ctx.Response.Abort();
                return;
            }
            ctx.Response.StatusCode = answer.Status;
            var bytes = Encoding.UTF8.GetBytes(answer.Body);
            await ctx.Response.OutputStream.WriteAsync(bytes);
            ctx.Response.Close();
        }
        catch (Exception) { /* the client gave up */ }
    }

    public void Dispose()
    {
        _stop.Cancel();
        // The managed HttpListener looks its endpoint up again while closing and can throw EADDRINUSE when another
        // test's socket took the port meanwhile; this server stops serving either way.
        try { _listener.Close(); } catch (System.Net.HttpListenerException) { }
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (Exception) { }
    }
}
