namespace CicdOps.Engine.Sandbox;

/// <summary>Whether two absolute, normalized paths are the same, or one is inside the other.</summary>
internal static class PathOverlap
{
    public static bool Between(string a, string b) => IsSameOrUnder(a, b) || IsSameOrUnder(b, a);

    public static bool IsSameOrUnder(string candidate, string dir)
    {
        candidate = Trim(candidate);
        dir = Trim(dir);
        return candidate == dir || dir == "/" || candidate.StartsWith(dir + "/", StringComparison.Ordinal);
    }

    private static string Trim(string p) => p.Length > 1 ? p.TrimEnd('/') : p;
}
