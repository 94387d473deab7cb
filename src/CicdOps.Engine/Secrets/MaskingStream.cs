namespace CicdOps.Engine.Secrets;

/// <summary>
/// A write-only stream that masks secrets before passing bytes on (wrap a deployment log's FileStream,
/// or the pipe copier of a child's stdout/stderr). Flush passes on everything already decided; up to
/// (longest pattern − 1) bytes stay held until more output arrives or the stream is disposed/completed.
/// </summary>
public sealed class MaskingStream : Stream
{
    private readonly Stream _inner;
    private readonly MaskingFilter _filter;
    private readonly bool _leaveOpen;
    private bool _disposed;

    internal MaskingStream(Stream inner, MaskingFilter filter, bool leaveOpen)
    {
        _inner = inner;
        _filter = filter;
        _leaveOpen = leaveOpen;
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => !_disposed;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _filter.Process(buffer, _inner);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override void Flush() => _inner.Flush();

    /// <summary>Writes the held-back tail: the producer is done.</summary>
    public void Complete()
    {
        _filter.Complete(_inner);
        _inner.Flush();
    }

    protected override void Dispose(bool disposing)
    {
        if (!_disposed && disposing)
        {
            try { Complete(); }
            finally
            {
                _disposed = true;
                if (!_leaveOpen) _inner.Dispose();
            }
        }
        base.Dispose(disposing);
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
