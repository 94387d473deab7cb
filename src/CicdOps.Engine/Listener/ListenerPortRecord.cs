namespace CicdOps.Engine.Listener;

/// <summary>
/// The ports this data directory's listeners serve on, one empty file each (<c>listeners/&lt;port&gt;</c>), made when a
/// listener is up and removed when it stops. Registration refuses these ports for apps as it refuses 9641: a
/// listener on another port must not be killable through a project either. A listener that died keeps its record,
/// so its port stays refused until a listener on it stops cleanly — the safe side.
/// </summary>
internal static class ListenerPortRecord
{
    private static string Directory(string dataPath) => Path.Combine(dataPath, "listeners");

    public static void Add(string dataPath, int port)
    {
        System.IO.Directory.CreateDirectory(Directory(dataPath));
        File.WriteAllBytes(Path.Combine(Directory(dataPath), port.ToString(System.Globalization.CultureInfo.InvariantCulture)), Array.Empty<byte>());
    }

    public static void Remove(string dataPath, int port)
    {
        try { File.Delete(Path.Combine(Directory(dataPath), port.ToString(System.Globalization.CultureInfo.InvariantCulture))); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    public static bool Contains(string dataPath, int port) =>
        File.Exists(Path.Combine(Directory(dataPath), port.ToString(System.Globalization.CultureInfo.InvariantCulture)));
}
