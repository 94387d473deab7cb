namespace CicdOps.Engine.Sandbox;

/// <summary>
/// The trees a project's account was given and then left when <c>project set --path</c> moved the project
/// (<c>retired-paths/&lt;project&gt;</c>, one path a line). The old tree keeps running the app until the next deploy,
/// so it is not taken back at once; <c>project remove --remove-service-user</c> gives each back to root, so no file
/// stays owned by a uid a later account may be given.
/// </summary>
internal static class RetiredProjectPaths
{
    private static string FileOf(string dataPath, string project) => Path.Combine(dataPath, "retired-paths", project);

    public static void Add(string dataPath, string project, string path)
    {
        Directory.CreateDirectory(Path.Combine(dataPath, "retired-paths"));
        File.AppendAllLines(FileOf(dataPath, project), new[] { path });
    }

    /// <summary>The project's retired trees (each once), forgetting them.</summary>
    public static IReadOnlyList<string> Take(string dataPath, string project)
    {
        var file = FileOf(dataPath, project);
        if (!File.Exists(file)) return Array.Empty<string>();
        var paths = File.ReadAllLines(file).Where(l => l.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        File.Delete(file);
        return paths;
    }
}
