namespace CicdOps.Engine.Validation;

/// <summary>"Did you mean …?": the candidate closest to a mistyped name, when one is close enough to be a typo.</summary>
public static class Nearest
{
    /// <summary>The closest candidate within a typo's distance (about one edit per three characters), or null.</summary>
    public static string? Of(string typed, IEnumerable<string> candidates)
    {
        if (string.IsNullOrEmpty(typed)) return null;
        var limit = Math.Max(1, typed.Length / 3);
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var c in candidates)
        {
            if (c == typed) continue;
            var d = Distance(typed.ToLowerInvariant(), c.ToLowerInvariant());
            if (d <= limit && d < bestDistance) (best, bestDistance) = (c, d);
        }
        return best;
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours.</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        for (var j = 1; j <= b.Length; j++)
        {
            var cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
        }
        return d[a.Length, b.Length];
    }
}
