using System.Net.Http.Headers;
using System.Text;

namespace CicdOps.Tests.Api;

/// <summary>One Server-Sent Event as read off the wire: its id, name, data, and the comment lines before it.</summary>
public sealed record SseEvent(string? Id, string? Name, string Data, IReadOnlyList<string> Comments);

/// <summary>
/// A real SSE client over HttpClient: reads the response line by line as it arrives and hands back each event (or
/// heartbeat comment). Waits are bounded by a generous guard so a broken server fails the test instead of hanging it.
/// </summary>
public sealed class SseClient : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private SseClient(HttpClient http, HttpResponseMessage response, StreamReader reader)
    {
        _http = http; _response = response; _reader = reader;
    }

    public int StatusCode => (int)_response.StatusCode;
    public string? ContentType => _response.Content.Headers.ContentType?.MediaType;

    public static async Task<SseClient> OpenAsync(string url, string? token, string? lastEventId = null)
    {
        var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (lastEventId is not null) request.Headers.Add("Last-Event-ID", lastEventId);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync(), Encoding.UTF8);
        return new SseClient(http, response, reader);
    }

    /// <summary>The next event or heartbeat block (a block of only comments has Name null and Data "").</summary>
    public async Task<SseEvent?> NextAsync(TimeSpan guard)
    {
        using var cut = new CancellationTokenSource(guard);
        string? id = null, name = null;
        var data = new StringBuilder();
        var comments = new List<string>();
        var any = false;
        while (true)
        {
            string? line;
            try { line = await _reader.ReadLineAsync(cut.Token); }
            catch (OperationCanceledException) { throw new TimeoutException($"no event within {guard.TotalSeconds} s"); }
            if (line is null) return null; // the server closed the stream
            if (line.Length == 0)
            {
                if (!any) continue;
                return new SseEvent(id, name, data.ToString(), comments);
            }
            any = true;
            if (line.StartsWith(':')) comments.Add(line[1..].Trim());
            else if (line.StartsWith("id:")) id = line[3..].Trim();
            else if (line.StartsWith("event:")) name = line[6..].Trim();
            else if (line.StartsWith("data:")) data.Append(line[5..].TrimStart());
        }
    }

    /// <summary>Reads until an event satisfies <paramref name="match"/>; fails if the stream ends or the guard passes.</summary>
    public async Task<SseEvent> WaitForAsync(Func<SseEvent, bool> match, TimeSpan? guard = null)
    {
        var until = DateTime.UtcNow + (guard ?? TimeSpan.FromSeconds(90));
        while (true)
        {
            var left = until - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException("the awaited event did not arrive");
            var e = await NextAsync(left) ?? throw new InvalidOperationException("the stream ended before the awaited event");
            if (match(e)) return e;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        _http.Dispose();
        await Task.CompletedTask;
    }
}
