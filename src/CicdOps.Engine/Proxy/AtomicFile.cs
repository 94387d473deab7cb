namespace CicdOps.Engine.Proxy;

/// <summary>
/// Replaces a file by rename(2): readers (nginx, another engine process) see the old content or the new one,
/// never half. The temporary file is created new (O_EXCL) beside the target, so nothing that already exists is
/// written through; a link at the target is replaced, never followed.
/// </summary>
internal static class AtomicFile
{
    public static void Write(string path, string text, UnixFileMode mode)
    {
        var tmp = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.cicdops-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (var f = new FileStream(tmp, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = mode }))
            {
                var bytes = System.Text.Encoding.UTF8.GetBytes(text);
                f.Write(bytes);
                f.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        finally { File.Delete(tmp); }
    }
}
