namespace CicdOps.Engine.Listener;

internal enum BodyReadStatus { Ok, TooLarge, TimedOut }

/// <summary>
/// Reads a request body under a size cap and a deadline: the declared Content-Length is checked before
/// reading anything, and the streamed read stops one byte past the cap, so nothing oversized is buffered.
/// </summary>
internal static class BodyReader
{
    public static async Task<(BodyReadStatus Status, byte[] Body)> ReadAsync(IHttpExchange ex, long maxBytes, TimeSpan timeout, CancellationToken stopping)
    {
        if (ex.ContentLength is { } declared && declared > maxBytes) return (BodyReadStatus.TooLarge, Array.Empty<byte>());

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        cts.CancelAfter(timeout);
        // Not every stream honours the token once a read is pending; answering 408 and closing the
        // connection always ends it. (HttpListener's own Abort would send "200 OK" on some platforms.)
        using var abort = cts.Token.Register(() => _ = RespondTimeoutAsync(ex));
        try
        {
            if (ex.ContentLength is { } length)
            {
                var body = new byte[length];
                var read = 0;
                while (read < body.Length)
                {
                    var n = await ex.Body.ReadAsync(body.AsMemory(read), cts.Token).ConfigureAwait(false);
                    if (n == 0) break;
                    read += n;
                }
                return (BodyReadStatus.Ok, read == body.Length ? body : body[..read]);
            }

            using var ms = new MemoryStream();
            var chunk = new byte[16 * 1024];
            while (true)
            {
                var n = await ex.Body.ReadAsync(chunk, cts.Token).ConfigureAwait(false);
                if (n == 0) return (BodyReadStatus.Ok, ms.ToArray());
                if (ms.Length + n > maxBytes) return (BodyReadStatus.TooLarge, Array.Empty<byte>());
                ms.Write(chunk, 0, n);
            }
        }
        catch (Exception) when (cts.IsCancellationRequested)
        {
            return (BodyReadStatus.TimedOut, Array.Empty<byte>());
        }
    }

    private static async Task RespondTimeoutAsync(IHttpExchange ex)
    {
        try
        {
            var body = new WebhookReply(408, "rejected", "request body not received in time").ToJson();
            await ex.RespondAsync(408, "application/json", body, close: true).ConfigureAwait(false);
        }
        catch (Exception)
        {
            ex.Abort();
        }
    }
}
