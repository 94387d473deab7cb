using System.Text;

namespace CicdOps.Engine.Deploy;

/// <summary>Reads a log that may still grow, from an offset, up to its last complete line.</summary>
internal static class LogFile
{
    public static (string Text, long NextOffset) Read(string path, long offset)
    {
        if (!File.Exists(path)) return ("", offset);
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (offset > f.Length) offset = 0; // the log was replaced (or rotated): start over
        f.Seek(offset, SeekOrigin.Begin);
        var buffer = new byte[f.Length - offset];
        var read = f.Read(buffer, 0, buffer.Length);
        // Stop at the last complete line so a follower never prints half a line (or half a UTF-8 character).
        var end = Array.LastIndexOf(buffer, (byte)'\n', Math.Max(read - 1, 0)) + 1;
        return (Encoding.UTF8.GetString(buffer, 0, end), offset + end);
    }
}
