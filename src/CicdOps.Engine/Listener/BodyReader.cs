namespace CicdOps.Engine.Listener;

internal enum BodyReadStatus { Ok, TooLarge, TimedOut, NoMemory }

/// <summary>A read body and the budget it holds; dispose to give the memory back.</summary>
internal sealed class ReadBody(BodyReadStatus status, byte[] bytes, BodyBudget? budget = null, long reserved = 0, bool large = false) : IDisposable
{
    public BodyReadStatus Status { get; } = status;
    public byte[] Bytes { get; } = bytes;
    private long _reserved = reserved;

    public void Dispose() => budget?.Release(Interlocked.Exchange(ref _reserved, 0), large);
}

/// <summary>
/// Reads a request body under a size cap, a deadline and the global body budget: the declared Content-Length is
/// checked (and its memory reserved) before reading anything, and a chunked body reserves as it grows, so nothing
/// oversized or beyond the budget is buffered.
/// </summary>
internal static class BodyReader
{
    private const int ChunkedStep = 64 * 1024;

    public static async Task<ReadBody> ReadAsync(IHttpExchange ex, long maxBytes, TimeSpan timeout, BodyBudget budget, CancellationToken stopping)
    {
        if (ex.ContentLength is { } declared && declared > maxBytes) return new(BodyReadStatus.TooLarge, []);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        cts.CancelAfter(timeout);
        long reserved = 0;
        var large = ex.ContentLength is not { } known || budget.IsLarge(known);
        try
        {
            if (ex.ContentLength is { } length)
            {
                if (!budget.TryReserve(length, large)) return new(BodyReadStatus.NoMemory, []);
                reserved = length;
                var body = new byte[length];
                var read = 0;
                while (read < body.Length)
                {
                    var n = await ex.Body.ReadAsync(body.AsMemory(read), cts.Token).ConfigureAwait(false);
                    if (n == 0) break;
                    read += n;
                }
                return new(BodyReadStatus.Ok, read == body.Length ? body : body[..read], budget, reserved, large);
            }

            // Chunked: grows with what actually arrives, reserving a step at a time from the large share.
            using var ms = new MemoryStream();
            var chunk = new byte[16 * 1024];
            while (true)
            {
                var n = await ex.Body.ReadAsync(chunk, cts.Token).ConfigureAwait(false);
                if (n == 0) return new(BodyReadStatus.Ok, ms.ToArray(), budget, reserved, large);
                if (ms.Length + n > maxBytes) { budget.Release(reserved, large); return new(BodyReadStatus.TooLarge, []); }
                while (ms.Length + n > reserved)
                {
                    if (!budget.TryReserve(ChunkedStep, large))
                    {
                        budget.Release(reserved, large);
                        return new(BodyReadStatus.NoMemory, []);
                    }
                    reserved += ChunkedStep;
                }
                ms.Write(chunk, 0, n);
            }
        }
        catch (HttpBodyException e)
        {
            budget.Release(reserved, large);
            return new(e.StatusCode == 413 ? BodyReadStatus.TooLarge : BodyReadStatus.TimedOut, []);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            budget.Release(reserved, large);
            return new(BodyReadStatus.TimedOut, []);
        }
        catch
        {
            budget.Release(reserved, large);
            throw;
        }
    }
}
