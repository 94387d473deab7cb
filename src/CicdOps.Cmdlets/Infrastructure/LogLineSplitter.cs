using System.Text;

namespace CicdOps.Cmdlets.Infrastructure;

/// <summary>Turns log chunks (which may end mid-line) into whole lines, so each pipeline object is one line.</summary>
public sealed class LogLineSplitter
{
    private readonly StringBuilder _partial = new();

    public IEnumerable<string> Push(string chunk)
    {
        var lines = new List<string>();
        foreach (var c in chunk)
        {
            if (c == '\n')
            {
                lines.Add(_partial.ToString().TrimEnd('\r'));
                _partial.Clear();
            }
            else
            {
                _partial.Append(c);
            }
        }
        return lines;
    }

    /// <summary>The unterminated last line, if any.</summary>
    public string? Flush()
    {
        if (_partial.Length == 0) return null;
        var rest = _partial.ToString().TrimEnd('\r');
        _partial.Clear();
        return rest;
    }
}
