using System.Buffers;
using System.Text;

namespace CicdOps.Engine.Secrets;

/// <summary>
/// Knows what to hide from logs: each secret value (UTF-8), its standard base64 encoding, and the part of
/// its base64 that does not depend on neighbouring bytes when the value sits at any of the 3 alignments
/// inside a longer base64 text (e.g. an HTTP Basic header or a base64-encoded config). Values shorter than
/// <see cref="MinimumLength"/> bytes are not masked: replacing every "on", "1" or "dev" in a log would
/// wreck it and reveal the value through the pattern of stars anyway; such values are still injected.
/// Immutable and thread-safe; <see cref="CreateFilter"/> gives one stateful filter per output stream.
/// Masking is a safety net, not a guarantee: it cannot catch a value the program transforms (hex, URL or
/// JSON escaping, reversal, compression, encryption, a substring) or splits itself across separate
/// writes with other output in between.
/// </summary>
public sealed class SecretMasker
{
    public const int MinimumLength = 4;
    internal static readonly byte[] Replacement = "***"u8.ToArray();

    private readonly byte[][][] _byFirstByte;

    private SecretMasker(IReadOnlyCollection<byte[]> patterns)
    {
        _byFirstByte = new byte[256][][];
        foreach (var group in patterns.GroupBy(p => p[0]))
            _byFirstByte[group.Key] = group.OrderByDescending(p => p.Length).ToArray();
        FirstBytes = SearchValues.Create(patterns.Select(p => p[0]).Distinct().ToArray());
        MaxPatternLength = patterns.Count == 0 ? 0 : patterns.Max(p => p.Length);
        LinesAreIndependent = patterns.All(p => Array.IndexOf(p, (byte)'\n') < 0);
        PatternCount = patterns.Count;
    }

    public static SecretMasker Empty { get; } = new(Array.Empty<byte[]>());

    /// <summary>Builds a masker for <paramref name="values"/> (e.g. <c>SecretStore.GetAll(project).Values</c>).</summary>
    public static SecretMasker Create(IEnumerable<string> values)
    {
        var set = new HashSet<byte[]>(ByteArrayComparer.Instance);
        foreach (var value in values)
        {
            if (string.IsNullOrEmpty(value)) continue;
            var raw = Encoding.UTF8.GetBytes(value);
            if (raw.Length < MinimumLength) continue;
            set.Add(raw);
            set.Add(Encoding.ASCII.GetBytes(Convert.ToBase64String(raw)));
            for (var offset = 0; offset < 3; offset++)
            {
                var core = Base64Core(raw, offset);
                if (core.Length >= MinimumLength) set.Add(core);
            }
        }
        return new SecretMasker(set);
    }

    internal int MaxPatternLength { get; }

    /// <summary>No pattern contains a newline, so no match can span one: a finished line is decided.</summary>
    internal bool LinesAreIndependent { get; }
    internal int PatternCount { get; }
    internal SearchValues<byte> FirstBytes { get; }
    public bool IsEmpty => PatternCount == 0;

    /// <summary>A new stateful filter for one output; not thread-safe.</summary>
    public MaskingFilter CreateFilter() => new(this);

    /// <summary>
    /// Wraps a log stream: bytes written are masked before they reach <paramref name="inner"/>. Streams
    /// sharing one <paramref name="inner"/> (stdout and stderr pumps) should share <paramref name="writeLock"/>.
    /// </summary>
    public MaskingStream Wrap(Stream inner, bool leaveOpen = false, object? writeLock = null) => new(inner, CreateFilter(), leaveOpen, writeLock);

    /// <summary>Masks one complete text (an error message, a stage detail).</summary>
    public string Mask(string text)
    {
        if (IsEmpty || string.IsNullOrEmpty(text)) return text;
        using var output = new MemoryStream();
        var filter = CreateFilter();
        filter.Process(Encoding.UTF8.GetBytes(text), output);
        filter.Complete(output);
        return Encoding.UTF8.GetString(output.GetBuffer(), 0, (int)output.Length);
    }

    /// <summary>Patterns starting with <paramref name="first"/>, longest first; null when none.</summary>
    internal byte[][]? PatternsStartingWith(byte first) => _byFirstByte[first];

    /// <summary>
    /// The base64 characters determined by <paramref name="value"/> alone when it starts
    /// <paramref name="offset"/> bytes into a 3-byte group: character i covers bits [6i, 6i+6) of the input.
    /// </summary>
    internal static byte[] Base64Core(byte[] value, int offset)
    {
        var padded = new byte[offset + value.Length];
        value.CopyTo(padded, offset);
        var encoded = Convert.ToBase64String(padded);
        var first = (8 * offset + 5) / 6;
        var end = 8 * (offset + value.Length) / 6;
        return end > first ? Encoding.ASCII.GetBytes(encoded[first..end]) : Array.Empty<byte>();
    }

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();
        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);
        public int GetHashCode(byte[] obj)
        {
            var h = new HashCode();
            h.AddBytes(obj);
            return h.ToHashCode();
        }
    }
}
