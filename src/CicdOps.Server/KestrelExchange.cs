using CicdOps.Engine.Listener;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace CicdOps.Server;

/// <summary>One Kestrel request as the engine's <see cref="IHttpExchange"/>.</summary>
internal sealed class KestrelExchange(HttpContext context) : IHttpExchange
{
    private Stream? _body;

    public string Method => context.Request.Method;
    public string Path => context.Request.Path.HasValue ? context.Request.Path.Value! : "/";

    public string? Header(string name)
    {
        var values = context.Request.Headers[name];
        return values.Count switch { 0 => null, 1 => values[0], _ => string.Join(",", values.ToArray()) };
    }

    public int HeaderCount(string name) => context.Request.Headers[name].Count;

    public long? ContentLength => context.Request.ContentLength;
    public string? ContentType => context.Request.ContentType;
    public Stream Body => _body ??= new LimitTranslatingStream(context.Request.Body);

    public async Task RespondAsync(int statusCode, string contentType, ReadOnlyMemory<byte> body, bool close)
    {
        var r = context.Response;
        r.StatusCode = statusCode;
        r.ContentType = contentType;
        r.ContentLength = body.Length;
        r.Headers.CacheControl = "no-store";
        if (close) r.Headers.Connection = "close";
        await r.Body.WriteAsync(body).ConfigureAwait(false);
        await r.CompleteAsync().ConfigureAwait(false);
    }

    public void Abort() => context.Abort();

    /// <summary>Kestrel reports its body limits as BadHttpRequestException; the engine knows them as <see cref="HttpBodyException"/>.</summary>
    private sealed class LimitTranslatingStream(Stream inner) : Stream
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try { return await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false); }
            catch (BadHttpRequestException e) { throw new HttpBodyException(e.StatusCode, e.Message, e); }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
