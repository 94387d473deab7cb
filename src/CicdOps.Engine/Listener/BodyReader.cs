namespace CicdOps.Engine.Listener;

internal enum BodyReadStatus { Ok, TooLarge, TimedOut }

/// <summary>
/// Reads a request body under a size cap and a deadline: the declared Content-Length is checked before
/// reading anything, and the streamed read stops one byte past the cap, so nothing oversized is buffered.
/// </summary>
internal static class BodyReader
{
    private const long ExactReadLimit = 256 * 1024;

    public static async Task<(BodyReadStatus Status, byte[] Body)> ReadAsync(IHttpExchange ex, long maxBytes, TimeSpan timeout, CancellationToken stopping)
    {
        if (ex.ContentLength is { } declared && declared > maxBytes) return (BodyReadStatus.TooLarge, Array.Empty<byte>());

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        cts.CancelAfter(timeout);
        // Not every stream honours the token once a read is pending; answering 408 and closing the
        // connection always ends it. (HttpListener's own Abort would send "200 OK" on some platforms.)
        var timedOut = 0;
        var abort = cts.Token.Register(() =>
        {
            Volatile.Write(ref timedOut, 1);
            _ = RespondTimeoutAsync(ex);
        });
        try
        {
            var result = await ReadAllAsync(ex, maxBytes, cts.Token).ConfigureAwait(false);
            // Disposing waits for a callback already running, so afterwards the flag tells for sure whether
            // a 408 went out (a body finishing just as time ran out must not be answered twice).
            abort.Dispose();
            return Volatile.Read(ref timedOut) == 1 ? (BodyReadStatus.TimedOut, Array.Empty<byte>()) : result;
        }
        catch (Exception) when (cts.IsCancellationRequested && DisposeAndCheck(abort, ref timedOut))
        {
            return (BodyReadStatus.TimedOut, Array.Empty<byte>());
        }
        finally
        {
            abort.Dispose();
        }
    }

    private static bool DisposeAndCheck(CancellationTokenRegistration registration, ref int flag)
    {
        registration.Dispose();
        return Volatile.Read(ref flag) == 1;
    }

    private static async Task<(BodyReadStatus Status, byte[] Body)> ReadAllAsync(IHttpExchange ex, long maxBytes, CancellationToken token)
    {
        // Small declared bodies (every real push) are read straight into one array. Larger ones grow
        // with what actually arrives, so a client declaring 25 MB and sending nothing costs nothing.
        if (ex.ContentLength is { } length && length <= ExactReadLimit)
        {
            var body = new byte[length];
            var read = 0;
            while (read < body.Length)
            {
                var n = await ex.Body.ReadAsync(body.AsMemory(read), token).ConfigureAwait(false);
                if (n == 0) break;
                read += n;
            }
            return (BodyReadStatus.Ok, read == body.Length ? body : body[..read]);
        }

        using var ms = new MemoryStream();
        var chunk = new byte[16 * 1024];
        while (true)
        {
            var n = await ex.Body.ReadAsync(chunk, token).ConfigureAwait(false);
            if (n == 0) return (BodyReadStatus.Ok, ms.ToArray());
            if (ms.Length + n > maxBytes) return (BodyReadStatus.TooLarge, Array.Empty<byte>());
            ms.Write(chunk, 0, n);
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
