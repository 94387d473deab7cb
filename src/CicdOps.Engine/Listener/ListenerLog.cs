using System.Text;

namespace CicdOps.Engine.Listener;

/// <summary>
/// One event per line (journald-friendly). Values from requests are sanitised so a header or payload
/// cannot forge a line; callers never pass secrets or signatures.
/// </summary>
internal sealed class ListenerLog(Action<string>? sink)
{
    private readonly Action<string> _sink = sink ?? (line => Console.Out.WriteLine(line));

    public void Write(string line)
    {
        try { _sink(line); } catch (Exception) { /* logging must never break serving */ }
    }

    /// <summary>Printable ASCII only (spaces become '_', other characters '?'), at most 120 characters; "-" when empty.</summary>
    public static string Clean(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "-";
        if (value.Length <= 120 && IsClean(value)) return value; // the usual case: no copy
        var sb = new StringBuilder(Math.Min(value.Length, 120));
        foreach (var ch in value)
        {
            if (sb.Length == 120) { sb.Append('~'); break; }
            sb.Append(ch == ' ' ? '_' : IsPlain(ch) ? ch : '?');
        }
        return sb.ToString();
    }

    private static bool IsPlain(char ch) => ch is > ' ' and < (char)0x7f and not '"';

    private static bool IsClean(string value)
    {
        foreach (var ch in value) if (!IsPlain(ch)) return false;
        return true;
    }
}
