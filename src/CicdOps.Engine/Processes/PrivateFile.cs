namespace CicdOps.Engine.Processes;

/// <summary>
/// Creates a small private file (mode 0600 from the first instant) exactly once, even when processes race: the
/// content goes to a temporary file in the same directory, which is then linked into place without overwriting.
/// The loser's content is discarded and everyone reads the winner's.
/// </summary>
internal static class PrivateFile
{
    /// <summary>Creates <paramref name="path"/> with <paramref name="content"/> unless it exists; false when a racer won.</summary>
    public static bool CreateOnce(string path, ReadOnlySpan<byte> content)
    {
        var dir = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var fs = new FileStream(tmp, options))
            {
                fs.Write(content);
                fs.Flush(flushToDisk: true);
            }
            // link(2) is atomic; File.Move without overwrite checks, then renames over a racer's file.
            if (!OperatingSystem.IsWindows()) return Posix.LinkUnlessExists(tmp, path);
            try { File.Move(tmp, path, overwrite: false); return true; }
            catch (IOException) when (File.Exists(path)) { return false; }
        }
        finally
        {
            try { File.Delete(tmp); } catch (IOException) { }
        }
    }
}
