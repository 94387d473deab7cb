namespace CicdOps.Engine.Secrets;

/// <summary>
/// A write-only stream that masks secrets before passing bytes on (wrap a deployment log's FileStream,
/// or the pipe copier of a child's stdout/stderr). Flush passes on everything already decided; up to
/// (longest pattern − 1) bytes stay held until more output arrives or the stream is disposed/completed.
/// Use one MaskingStream per pipe (stdout, stderr): a secret split across two reads of the same pipe is
/// still caught, and two pipes never splice into each other. When both write to one log, pass the same
/// <c>writeLock</c> to both so their writes to it do not interleave mid-chunk.
/// </summary>
public sealed class MaskingStream : Stream
{
    private readonly Stream _inner;
    private readonly MaskingFilter _filter;
    private readonly bool _leaveOpen;
    private readonly object _gate;
    private bool _disposed;

    internal MaskingStream(Stream inner, MaskingFilter filter, bool leaveOpen, object? writeLock)
    {
        _inner = inner;
        _filter = filter;
        _leaveOpen = leaveOpen;
        _gate = writeLock ?? new object();
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => !_disposed;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _filter.Process(buffer, _inner);
        }
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

    public override void Flush()
    {
        lock (_gate) _inner.Flush();
    }

    /// <summary>Writes the held-back tail: the producer is done.</summary>
    public void Complete()
    {
        lock (_gate)
        {
            _filter.Complete(_inner);
            _inner.Flush();
        }
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
