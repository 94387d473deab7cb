using System.Collections;
using CicdOps.Cmdlets.Infrastructure;
using CicdOps.Engine;

namespace CicdOps.Cmdlets.Completion;

/// <summary>Small helpers shared by the completers; completion must never throw at the user.</summary>
internal static class CompletionText
{
    public static string Unquote(string word) => word.Trim('\'', '"');

    public static string Quote(string value) =>
        value.IndexOfAny(new[] { ' ', '\'', '"', '$', '`', ';', '(', ')', '{', '}', '@', '#', ',' }) >= 0
            ? "'" + value.Replace("'", "''") + "'"
            : value;

    public static string? DataPath(IDictionary bound) => FirstString(bound["DataPath"]);

    public static string? FirstString(object? value) => value switch
    {
        string s => s,
        IEnumerable e => e.Cast<object?>().Select(o => o?.ToString()).FirstOrDefault(s => !string.IsNullOrEmpty(s)),
        _ => null,
    };

    /// <summary>The engine for the command line's data directory, or null when it does not exist yet (tab must not create it).</summary>
    public static CicdEngine? ExistingEngine(IDictionary bound)
    {
        var path = DataPath(bound);
        return Directory.Exists(DataDirectory.Resolve(path)) ? EngineCache.Get(path) : null;
    }

    public static IEnumerable<T> Safely<T>(Func<IEnumerable<T>> read)
    {
        try { return read().ToList(); }
        catch (Exception) { return Array.Empty<T>(); } // no data directory yet, engine unavailable: offer nothing
    }
}
