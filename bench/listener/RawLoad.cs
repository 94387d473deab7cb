// A load generator as cheap as wrk: one keep-alive socket per connection, each request written from bytes and
// each response parsed just enough (status, Content-Length, Connection: close). On a 2-core machine the
// client shares the CPU with the listener; HttpClient's per-request work (header validation, pooling, content
// objects) would take a good part of it from the server being measured. CLIENT=http uses HttpClient instead.
using CicdOps;
using System.Buffers.Text;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

internal static class RawLoad
{
    public static async Task<List<Scenario.Result>> RunAsync(Uri url, (byte[] Body, string Signature)[] payloads, int connections, TimeSpan duration, string tag)
    {
        var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var workers = Enumerable.Range(0, connections).Select(w => Task.Run(() => WorkerAsync(url, payloads, w, until, tag))).ToArray();
        return (await Task.WhenAll(workers)).SelectMany(x => x).ToList();
    }

    private static async Task<List<Scenario.Result>> WorkerAsync(Uri url, (byte[] Body, string Signature)[] payloads, int w, long until, string tag)
    {
        var list = new List<Scenario.Result>(16384);
        var buffer = new byte[64 * 1024];
        Socket? socket = null;
        try
        {
            for (var i = 0; Stopwatch.GetTimestamp() < until; i++)
            {
                var guid = Guid.NewGuid();
                var id = Scenario.Result.Id(tag, w, i, guid);
                var (body, signature) = payloads[(w + i) % payloads.Length];
                var head = Encoding.ASCII.GetBytes(
                    $"POST {url.PathAndQuery} HTTP/1.1\r\nHost: {url.Authority}\r\nContent-Type: application/json\r\n" +
                    $"X-GitHub-Event: push\r\nX-GitHub-Delivery: {id}\r\nX-Hub-Signature-256: {signature}\r\nContent-Length: {body.Length}\r\n\r\n");
                var t0 = Stopwatch.GetTimestamp();
                int status;
                bool close;
                try
                {
                    socket ??= await ConnectAsync(url);
                    await socket.SendAsync(new List<ArraySegment<byte>> { head, body });
                    (status, close) = await ReadResponseAsync(socket, buffer);
                }
                catch (Exception e) when (e is SocketException or IOException)
                {
                    (status, close) = (0, true); // counted as not acknowledged
                }
                list.Add(new Scenario.Result(tag, w, i, guid, status, Stopwatch.GetElapsedTime(t0).TotalMilliseconds));
                if (close) { socket?.Dispose(); socket = null; }
            }
        }
        finally
        {
            socket?.Dispose();
        }
        return list;
    }

    private static async Task<Socket> ConnectAsync(Uri url)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await s.ConnectAsync(url.Host, url.Port);
        return s;
    }

    /// <summary>Reads one response; returns its status code and whether the server closes the connection.</summary>
    private static async Task<(int Status, bool Close)> ReadResponseAsync(Socket s, byte[] buffer)
    {
        var filled = 0;
        int headerEnd;
        while ((headerEnd = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) < 0)
        {
            var n = await s.ReceiveAsync(buffer.AsMemory(filled));
            if (n == 0) throw new IOException("connection closed before the response headers");
            filled += n;
        }
        var headers = Encoding.ASCII.GetString(buffer, 0, headerEnd);
        var status = int.Parse(headers.AsSpan(9, 3));
        var length = 0;
        var close = false;
        foreach (var line in headers.Split("\r\n"))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) length = int.Parse(line.AsSpan(15).Trim());
            else if (line.StartsWith("Connection:", StringComparison.OrdinalIgnoreCase) && line.Contains("close", StringComparison.OrdinalIgnoreCase)) close = true;
        }
        var total = headerEnd + 4 + length;
        if (total > buffer.Length) throw new IOException("response larger than the benchmark's buffer");
        while (filled < total)
        {
            var n = await s.ReceiveAsync(buffer.AsMemory(filled, total - filled));
            if (n == 0) throw new IOException("connection closed before the response body");
            filled += n;
        }
        return (status, close);
    }
}
