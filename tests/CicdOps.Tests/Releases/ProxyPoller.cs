using System.Net.Http;

namespace CicdOps.Tests.Releases;

/// <summary>
/// A client polling a proxy (nginx or Caddy) in front of a zero-downtime project until disposed, a new connection per
/// request (so each request meets the switch as a new client would): every answer counted, every failure kept with what
/// it was.
/// </summary>
internal sealed class ProxyPoller : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private readonly List<string> _failures = new();
    private int _requests;

    public ProxyPoller(string url)
    {
        _thread = new Thread(() =>
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            while (!_stop.IsCancellationRequested)
            {
                try { Get(http, url); }
                catch (Exception e) { lock (_failures) _failures.Add($"{DateTime.UtcNow:HH:mm:ss.fff} {e.GetType().Name}: {e.Message}"); }
                Interlocked.Increment(ref _requests);
                Thread.Sleep(10);
            }
        }) { IsBackground = true };
        _thread.Start();
        while (Requests < 5) Thread.Sleep(10);
    }

    public int Requests => Volatile.Read(ref _requests);

    public IReadOnlyList<string> Failures { get { lock (_failures) return _failures.ToList(); } }

    /// <summary>One GET on a connection of its own; the body, trimmed; a non-2xx answer throws.</summary>
    public static string Get(HttpClient http, string url)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.ConnectionClose = true;
        using var response = http.Send(request);
        response.EnsureSuccessStatusCode();
        return response.Content.ReadAsStringAsync().GetAwaiter().GetResult().Trim();
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join();
    }
}
