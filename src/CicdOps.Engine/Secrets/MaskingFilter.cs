namespace CicdOps.Engine.Secrets;

/// <summary>
/// Masks a byte stream chunk by chunk. Every occurrence of every pattern is marked, overlapping ones
/// included, and each maximal marked run becomes one "***". The last (longest pattern − 1) bytes are held
/// back, with their marks, because a secret may continue in the next chunk; <see cref="Complete"/> flushes
/// them. The output is the same however the input is split.
/// </summary>
public sealed class MaskingFilter
{
    private readonly SecretMasker _masker;
    private byte[] _pending = Array.Empty<byte>();
    private bool[] _pendingMarked = Array.Empty<bool>();
    private bool _lastWasMask;
    private bool _completed;

    internal MaskingFilter(SecretMasker masker) => _masker = masker;

    /// <summary>Bytes held back, waiting for the next chunk (at most longest pattern − 1).</summary>
    public int PendingCount => _pending.Length;

    public void Process(ReadOnlySpan<byte> chunk, Stream output)
    {
        if (_completed) throw new InvalidOperationException("The filter is complete.");
        if (_masker.IsEmpty) { output.Write(chunk); return; }
        Run(chunk, output, final: false);
    }

    /// <summary>Writes out what was held back. Call once, when the producer has finished.</summary>
    public void Complete(Stream output)
    {
        if (_completed) return;
        if (!_masker.IsEmpty) Run(ReadOnlySpan<byte>.Empty, output, final: true);
        _completed = true;
    }

    private void Run(ReadOnlySpan<byte> chunk, Stream output, bool final)
    {
        var buffer = new byte[_pending.Length + chunk.Length];
        _pending.CopyTo(buffer, 0);
        chunk.CopyTo(buffer.AsSpan(_pending.Length));
        var marked = new bool[buffer.Length];
        _pendingMarked.CopyTo(marked, 0);
        MarkMatches(buffer, marked);

        // A match starting at or after `hold` might still be incomplete; everything before it is decided.
        var hold = final ? buffer.Length : Math.Max(0, buffer.Length - (_masker.MaxPatternLength - 1));
        // A finished line cannot hold the start of a match that continues later, so it goes out now: an app that
        // prints a line and then waits must not have that line held back indefinitely.
        if (!final && _masker.LinesAreIndependent)
            hold = Math.Max(hold, buffer.AsSpan().LastIndexOf((byte)'\n') + 1);
        Emit(buffer, marked, hold, output);
        _pending = buffer[hold..];
        _pendingMarked = marked[hold..];
    }

    private void MarkMatches(byte[] buffer, bool[] marked)
    {
        var s = 0;
        while (s < buffer.Length)
        {
            var next = buffer.AsSpan(s).IndexOfAny(_masker.FirstBytes);
            if (next < 0) break;
            s += next;
            foreach (var pattern in _masker.PatternsStartingWith(buffer[s])!)
            {
                if (s + pattern.Length <= buffer.Length && buffer.AsSpan(s, pattern.Length).SequenceEqual(pattern))
                    marked.AsSpan(s, pattern.Length).Fill(true);
            }
            s++;
        }
    }

    private void Emit(byte[] buffer, bool[] marked, int count, Stream output)
    {
        var i = 0;
        while (i < count)
        {
            var start = i;
            if (marked[i])
            {
                while (i < count && marked[i]) i++;
                // A run continuing from the previous chunk was already replaced.
                if (!_lastWasMask) output.Write(SecretMasker.Replacement);
                _lastWasMask = true;
            }
            else
            {
                while (i < count && !marked[i]) i++;
                output.Write(buffer, start, i - start);
                _lastWasMask = false;
            }
        }
    }
}
