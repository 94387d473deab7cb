using System.Text;

namespace CicdOps.Engine.Fleet;

/// <summary>Who this server is in the fleet: a stable id (kept in the data directory) and a display name.</summary>
public sealed record NodeIdentity(string Id, string Name)
{
    public const string FileName = "node.id";

    /// <summary>
    /// The id stored in <c>node.id</c>, created once: written to a 0600 temporary file, then linked into place
    /// without overwriting, so two processes starting together agree on one id.
    /// </summary>
    internal static string LoadOrCreateId(string dataPath)
    {
        var path = Path.Combine(dataPath, FileName);
        if (!File.Exists(path)) CreateAtomically(path);
        var id = File.ReadAllText(path).Trim();
        if (!IsValidId(id))
            throw new CicdException(CicdError.DataDirectoryUnavailable, $"The node id file '{path}' is damaged.", path,
                "Remove it to give this server a new identity (the fleet will list the old one as stale).");
        return id;
    }

    /// <summary>The hostname, the default node name.</summary>
    public static string DefaultName() => Environment.MachineName;

    /// <summary>A node name as typed: 1-63 letters, digits, dots, dashes and underscores, starting with a letter or digit.</summary>
    public static string ValidName(string name)
    {
        if (name.Length is 0 or > 63 || !char.IsAsciiLetterOrDigit(name[0])
            || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
            throw new CicdException(CicdError.InvalidArgument,
                $"Invalid node name '{new string(name.Where(c => !char.IsControl(c)).Take(80).ToArray())}': use 1-63 letters, digits, dots, dashes and underscores, starting with a letter or digit.", name);
        return name;
    }

    internal static bool IsValidId(string id) => id.Length == 32 && id.All(char.IsAsciiHexDigitLower);

    private static void CreateAtomically(string path)
    {
        try { Processes.PrivateFile.CreateOnce(path, Encoding.ASCII.GetBytes(Guid.NewGuid().ToString("N") + "\n")); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CicdException(CicdError.DataDirectoryUnavailable, $"The node id file '{path}' cannot be created: {e.Message}", path, inner: e);
        }
    }
}
