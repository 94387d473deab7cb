namespace CicdOps.Engine.Secrets;

/// <summary>Makes user input safe to quote in a one-line error message (no control characters, bounded length).</summary>
internal static class SafeText
{
    public static string Printable(string? s, int max = 64)
    {
        if (s is null) return "";
        var t = s.Length > max ? s[..max] + "…" : s;
        return new string(t.Select(ch => char.IsControl(ch) ? '?' : ch).ToArray());
    }
}
